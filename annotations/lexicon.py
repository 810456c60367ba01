"""Word lists for the check-worthiness scorer: abbreviations, places, organisations, titles."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    # "_" joins multi-word names ("United_Nations") inside the space-separated lists
    return frozenset(word.replace("_", " ") for word in text.split())


# Titles and Latin abbreviations always lead into more words, so they never end a sentence.
ALWAYS_ABBREV = _words(
    "mr mrs ms dr prof st gen col lt sgt capt cmdr adm gov sen rep rev hon pres supt jr sr mt "
    "ft e.g i.e cf vs viz al approx"
)

# These end a sentence unless a number follows: "No. 5", "Jan. 12", "p. 4".
BEFORE_NUMBER = _words(
    "no nos vol p pp fig art ch sec jan feb mar apr jun jul aug sep sept oct nov dec"
)

# After "U.S." a new sentence usually opens with one of these; "U.S. Army" continues.
OPENERS = _words(
    "the a an this that these those it he she they we i in on at but and however yet so there "
    "his her their its our when while after before if as for"
)

NUMBER_WORDS = (
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty"
    r"|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?"
    r"|dozens?|half|twice|double|triple"
)

MONTH = (
    r"January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\."
)

NOT_SUPERLATIVE = _words(
    "interest west test rest suggest honest forest request protest manifest modest earnest "
    "contest invest arrest harvest digest detest attest conquest inquest behest unrest midwest "
    "southwest northwest priest guest quest chest nest pest vest zest jest crest lest everest "
    "budapest bucharest tempest"
)

PLACES = _words(
    "Afghanistan Albania Algeria Angola Argentina Armenia Australia Austria Azerbaijan Bahrain "
    "Bangladesh Belarus Belgium Bolivia Bosnia Brazil Bulgaria Cambodia Cameroon Canada Chad "
    "Chile China Colombia Congo Croatia Cuba Cyprus Czechia Denmark Ecuador Egypt Eritrea "
    "Estonia Ethiopia Finland France Georgia Germany Ghana Greece Guatemala Haiti Honduras "
    "Hungary Iceland India Indonesia Iran Iraq Ireland Israel Italy Japan Jordan Kazakhstan "
    "Kenya Korea Kosovo Kuwait Kyrgyzstan Laos Latvia Lebanon Libya Lithuania Luxembourg "
    "Malaysia Mali Mexico Moldova Mongolia Montenegro Morocco Mozambique Myanmar Nepal "
    "Netherlands Nicaragua Niger Nigeria Norway Oman Pakistan Palestine Panama Paraguay Peru "
    "Philippines Poland Portugal Qatar Romania Russia Rwanda Serbia Singapore Slovakia Slovenia "
    "Somalia Spain Sudan Sweden Switzerland Syria Taiwan Tajikistan Tanzania Thailand Tunisia "
    "Turkey Turkmenistan Uganda Ukraine Uruguay Uzbekistan Venezuela Vietnam Yemen Zambia "
    "Zimbabwe America Britain England Scotland Wales Europe Asia Africa Arctic Antarctica "
    "North_Korea South_Korea United_States United_Kingdom Soviet_Union Russian_Federation "
    "Czech_Republic Saudi_Arabia South_Africa New_Zealand Sri_Lanka Middle_East Far_East "
    "Latin_America Central_Asia East_Asia USA US U.S. UK USSR DPRK DRPK PRC ROK UAE "
    "Moscow Washington Beijing Pyongyang Seoul Tokyo Kyiv Kiev Minsk Warsaw Berlin Paris London "
    "Rome Madrid Vienna Prague Budapest Bucharest Sofia Athens Ankara Istanbul Tehran Baghdad "
    "Damascus Beirut Jerusalem Cairo Riyadh Delhi Mumbai Islamabad Kabul Dhaka Bangkok Hanoi "
    "Manila Jakarta Canberra Ottawa Havana Caracas Brasilia Helsinki Stockholm Oslo Copenhagen "
    "Tallinn Riga Vilnius Tbilisi Yerevan Baku Astana Tashkent Dresden Munich Geneva Brussels "
    "Strasbourg Vladivostok Leningrad Petersburg Stalingrad Sevastopol Grozny Chicago Boston "
    "Crimea Donbas Donbass Chechnya Caucasus Siberia Balkans Baltic Kashmir Tibet Xinjiang Gaza "
    "Kurdistan Transnistria Abkhazia Ossetia Manchuria Hokkaido Mediterranean Pacific Atlantic"
)

ORG_WORDS = _words(
    "Administration Ministry Department Office Agency Bureau Institute University College "
    "Council Committee Commission Parliament Congress Senate Duma Assembly Court Party Army "
    "Navy Force Forces Regiment Brigade Mission Services Service Bank Fund Company Corporation "
    "Association Foundation Organization Organisation Union Alliance League Federation Group "
    "Times Post Journal Kremlin Pentagon Politburo"
)

ORG_NAMES = _words("United_Nations European_Union Red_Cross World_Bank Kremlin Pentagon")

ORG_ACRONYMS = _words("NATO UN EU KGB FSB NKVD OSS CIA FBI NSA IMF WTO WHO OPEC ASEAN BBC GRU")

TITLES = _words(
    "President Minister Prime Secretary Chancellor Colonel General Admiral Major Captain "
    "Lieutenant Sergeant Marshal Senator Governor Ambassador Premier Chairman King Queen Prince "
    "Princess Pope Emperor Tsar Czar Mayor Judge Justice Dr Mr Mrs Ms Professor Prof "
    "Foreign Defence Defense State Vice Deputy Sir Lord Lady Sheikh"
)

# Nationalities, ideologies, directions, wars and programmes: capitalised but not a name.
NOT_NAMES = _words(
    "Russian Russians Soviet Soviets American Americans Chinese Korean Koreans Japanese "
    "Ukrainian Ukrainians Georgian Lithuanian Polish German Germans British French Syrian "
    "Swedish European Europeans Asian Western Westerners Eastern Northern Southern Chechen "
    "Communist Communists Marxist Leninist Marxism-Leninism Marxist-Leninist Nazi Nazis Cyrillic "
    "Latin Islamic Muslim Christian Orthodox Catholic Jewish Arab Kurdish North South East West "
    "Central Cold War World Revolution Crisis Summit Treaty Doctrine Plan Initiative Era Age "
    "Democratic People Republic Internet God I January February March April May June July "
    "August September October November December Monday Tuesday Wednesday Thursday Friday "
    "Saturday Sunday"
)

# Capitalised only because they open a sentence: "When Putin ...", "The Kremlin ...".
FUNCTION_WORDS = OPENERS | _words(
    "under even during with from by to of what how why where who which although though since "
    "until once because whereas moreover meanwhile indeed accordingly both each many most some "
    "such no not only one all every another other later early last next then thus"
)

# A name may run on through "of" only after a word that heads such names: "Office of
# Strategic Services", "Republic of Korea", "Secretary of State"; not "Torbakov of the Swedish".
OF_HEADS = _words("Republic Kingdom Commonwealth Gulf Sea Bay Isle Cape Strait Duke")
