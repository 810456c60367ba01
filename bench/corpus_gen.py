"""Reproducible generated prose for benchmarks: a vocabulary, Zipf-ish word draws, articles.

Everything here is a pure function of a seeded `random.Random`, so two runs produce the same
words, articles, tags and names. The vocabulary is the shipped seed article's own words plus a
written list of common English words and some made-up proper names (the long tail of rare terms).
"""

from __future__ import annotations

import random
import re
from bisect import bisect_left
from dataclasses import dataclass
from itertools import accumulate

from corpus.shipped import shipped_documents

# The head of English word frequency: function words and a few very common words, most common
# first. As in real text they take the top ranks, so content words get realistic frequencies.
_HEAD = """
the of and to a in is it that was for on are as with he they be at one have this from or had by
not but what all were we when your can said there use an each which she do how their if will up
other about out many then them these so some her would make like him into time has look two more
write go see number no way could people my than first been call who its now find long down day
did get come made may part over new after also only most such through back just where much
should well because any those very even must same while another between both under never
"""
# Common English words, about 1,600, to widen the seed article's vocabulary.
_COMMON = """
ability able about above abroad absence absolute academic accept access accident account
accurate achieve acquire across action active actor actual adapt add address adequate adjust
admit adopt adult advance advantage advice affair affect afford afraid after afternoon again
against agency agenda agent agree agreement agriculture ahead aircraft airport alarm album alive
allow almost alone along already also alter although always amateur ambition amount analysis
ancient anger angle animal announce annual answer anxiety anybody apart apparent appeal appear
apple apply appoint approach approve architect area argue argument arise army around arrange
arrest arrival arrive article artist aspect assault assemble assess asset assign assist assume
assure atmosphere attach attack attempt attend attitude attract audience author authority
autumn available average avoid award aware balance ballot band bank barrier base basic basis
battle beach bear beat beautiful become bedroom before begin behalf behave behind belief believe
belong below benefit beside best better beyond bill biology bird birth bitter black blame blood
board boat body bold bond bone book border borrow bottle bottom boundary brain branch brave bread
break breath brick bridge brief bright bring broad brother budget build building burden bureau
burn bury business busy buyer cabinet cable calculate call calm camera campaign canal cancel
candidate capable capacity capital captain capture carbon career careful carry case cash castle
catalogue catch category cause ceiling celebrate cell central century ceremony certain chain
chair chairman challenge chamber champion chance channel chapter character charge charity chart
cheap check chemical chief child choice choose church circle cite citizen civil claim class
classic clean clear client climate climb clinic clock close cloth cloud coach coal coast code
coffee cold collapse colleague collect college colony colour column combat combine comfort
command comment commerce commission commit committee common community company compare compete
complain complete complex component compose concept concern conclude concrete condition conduct
confer confirm conflict confront confuse congress connect conscious consent consider consist
constant construct consult consume contact contain content contest context continent continue
contract contrast contribute control convention convert convince cooperate cope copper copy core
corner correct cost cottage cotton council count country county couple courage course court
cousin cover crack craft create credit crew crime crisis criteria critic crop cross crowd crown
crucial cruel culture cure curious currency current curtain custom customer cycle damage danger
dark data date daughter dead deal debate debt decade decide declare decline deep defeat defend
deficit define degree delay deliver demand democracy deny depart depend deposit depth deputy
derive describe desert design desire desk despite destroy detail detect determine develop device
devote dialogue diet differ digital dinner direct director dirty disaster discipline discover
discuss disease dismiss display dispute distance distinct district divide doctor document domain
domestic dominate double doubt draft drama dream dress drink drive drop drug during duty eager
early earn earth east easy economic edge edition editor educate effect efficient effort eight
either elder elect element eleven eliminate elite embassy emerge emotion emphasis empire employ
empty enable encounter encourage enemy energy engage engine enhance enjoy enormous ensure enter
entire entry environment episode equal equipment error escape essay essential establish estate
estimate ethnic evaluate even evening event eventually evidence evil exact examine example
exceed excellent exchange excite exclude excuse execute exercise exhibit exist expand expect
expense experience experiment expert explain explode explore export expose express extend extent
external extra extreme fabric face facility factor factory fail fair faith false fame familiar
family famous farm fashion fast father fault favour fear feature federal feed feel female fence
festival fever field fierce fight figure file fill film final finance find fine finger finish
fire firm fiscal fish fixed flag flat flee fleet flesh flight float flood floor flow flower fluid
focus fold folk follow food foot force forecast foreign forest forget form formal formula fortune
forward found frame free freedom frequent fresh friend front frontier fruit fuel full function
fund funeral furniture future gain gallery game garden gate gather gender general generate
generation genius gentle genuine gesture giant gift girl give glad glass global goal gold golden
good govern grade grain grand grant grass grave great green grey ground group grow growth guard
guess guest guide guilty habit hair half hall hand handle hang happen harbour hard harm harvest
head health hear heart heat heaven heavy height hell help heritage hero hidden high highlight
hill hire historian hold hole holiday holy home honest honour hope horizon horror horse hospital
host hotel hour house household housing huge human humour hunger hunt hurt husband idea ideal
identify identity ignore illegal illness image imagine impact imply import impose impress improve
incident include income increase indeed index indicate individual industry infant inflation
inform initial injury inner innocent input inquiry insect insist inspect install instance
institute insurance intend intense interest interior internal interpret interview introduce
invade invent invest invite involve iron island issue item jacket joint journal journey judge
jump junior jury justice keen kick kill kind king kitchen knee knife knock knowledge label labour
lack lady lake land landscape language large last late latter laugh launch lawyer layer lead
leaf league lean learn lease least leave lecture legal legend length lesson letter level liberal
library licence lift light limit line link liquid list listen literature live loan local locate
lock logic long loose lord lose loss loud love lower loyal luck lunch machine magazine magic
mail main maintain major make male manage manner manual manufacture margin marine mark market
marriage mass master match material matter mature maximum mayor meal mean measure meat media
medical medicine medium meet member memory mental mention mercy merchant merit message metal
method middle might mild military milk mind mineral minimum minister minor minute mirror miss
mission mistake mixture mobile mode model modern modest moment money monitor month mood moral
morning mortgage mother motion motor mount mountain mouth move movement much murder muscle
museum music mutual mystery myth name narrative narrow nation native nature near neat necessary
neck need negative neglect negotiate neighbour nerve network neutral news night noble noise
normal north note notice notion novel number nurse object oblige observe obtain obvious occasion
occupy occur ocean offence offer office officer official often online open opera operate opinion
opponent oppose option oral orange order ordinary organ origin outcome outline output outside
owner pace pack page pain paint pair palace panel paper parent park parliament part partner party
pass passage passenger past path patient pattern pause peace peak penalty pension people pepper
perform period permit person phase phone photo phrase physical piano pick picture piece pilot
pine pipe pitch place plain plan planet plant plate platform play plead please pleasure plenty
plot pocket poem poet point poison pole police polite politics poll pollution pool poor popular
port portion portrait pose position possess possible post potato potential pound poverty powder
practice praise pray predict prefer pregnant premium prepare presence preserve press pressure
pretty prevent price pride priest primary prime prince principle print prior prison private prize
probably problem proceed process produce product profession profile profit program progress
project promise promote prompt proof proper property proposal prospect protect protein protest
proud prove provide province public publish pull punish purchase pure purpose pursue push
qualify quality quantity quarter queen question quick quiet quite quota race radical radio rail
rain raise range rank rapid rare rate rather ratio reach react reader ready real realise reason
rebel recall receive recent recipe recognise recommend record recover reduce reform refugee
refuse regard regime region register regret regular reject relate relax release relevant relief
religion rely remain remark remember remind remote remove rent repair repeat replace reply
represent republic reputation request require rescue research reserve resident resign resist
resolve resort resource respect respond rest restore result retain retire return reveal revenue
review revolution reward rhythm rice rich ride right ring rise risk ritual rival river road rock
role roll roof room root rope rough round route routine royal rubber rule rumour rural rush sacred
safe sail salary sale salt sample sanction satellite satisfy save scale scandal scene schedule
scheme scholar school science score screen script search season seat second secret section
sector secure seed seek segment seize select senate senior sense sensitive sentence separate
sequence series servant serve session settle settlement seven severe shade shadow shake shape
share sharp sheet shelf shell shelter shift ship shirt shock shoot shop shore short shoulder
shout show shrink sight sign signal silence silver similar simple sing single sister site size
skill skin slave sleep slice slide slight slope slow small smart smile smoke smooth social
society soft soil soldier solid solution solve song soul sound soup source south space spare
speak special species specific speech speed spell spend spirit split sponsor sport spread spring
square squad stable staff stage stake stand standard star start state station statue status stay
steady steal steam steel step stick still stock stomach stone stop storage store storm story
strain strange strategy stream street strength stress stretch strike string strip stroke strong
structure struggle student studio study stuff style subject submit subsidy substance succeed
sudden suffer sugar suggest suit summer summit supply support suppose supreme surface surgeon
surplus surprise surround survey survive suspect sustain swear sweet swim switch symbol sympathy
system table tactic talent target task taste teach team tear technical technique technology
teenage telephone television temple tenant tend tension term terrible territory terror test text
thank theatre theme theory therapy thick thin thought thread threat threshold throat throne
ticket tide tight timber tiny title tobacco tone tongue tool tooth topic total touch tough tour
tourist tower town trace track trade tradition traffic tragedy train transfer transform transit
transport travel treasure treat treaty tree trend trial tribe tribunal trick troop tropical
trouble truck true trust truth tube tune tunnel turn twelve twenty twin type typical ugly
ultimate uncle undergo understand uniform union unique unit unity universe university unknown
upper urban urge usual utility vacuum valley valuable value van variable variety vast vehicle
venture venue verdict version vessel veteran victim victory video view village violence virtue
virus visible vision visit visual vital voice volume volunteer vote voyage wage wait walk wall
wander warm warn wash waste watch water wave wealth weapon wear weather wedding week weight
welfare west wheat wheel whisper white whole wide widow width wife wild will wind window wine
wing winner winter wire wisdom wish withdraw witness woman wonder wood wool word work worker
world worry worth wound wrap write writer yard yellow yield young youth zone
"""
_SYLLABLE_TEXT = (
    "ka ro mi ta len vor sa nik ul be dra gan tor el vi mar os chen ha li zu pe ko ran sel dov "
    "ari ne bo lu ste fan gor ib ya tsu lem qui ost"
)
_SYLLABLES = _SYLLABLE_TEXT.split()
_NAME_TEXT = (
    "Ada Alan Amira Anna Boris Carla Chen Dana Elena Farid Grace Hana Igor Ines Jonas Kenji Lara "
    "Leila Marco Maria Nadia Omar Pavel Priya Rosa Sami Tomas Vera Yuki Zora"
)
_FIRST_NAMES = _NAME_TEXT.split()
PUBLISHERS = (
    "Example Press",
    "The Daily Ledger",
    "Northern Review",
    "Archive Quarterly",
    "Policy Institute",
    "Harbour University Press",
    "Global Affairs Monthly",
    "The Evening Courier",
    "Civic Data Trust",
    "Atlas News Service",
)
# Whoosh's English stop words (dropped from its index) plus other glue words: kept out of the
# query mix, so both engines are asked for words they both index.
_STOP_TEXT = (
    "a an and are as at be by can for from have if in is it may not of on or tbd that the this to"
    " us we when will with yet you your was were has he its which who whom but than then there"
    " their they our these those"
)
_STOP = frozenset(_STOP_TEXT.split())


@dataclass(frozen=True)
class Vocabulary:
    """Words ranked by how common they are, with cumulative Zipf weights for fast draws."""

    words: tuple[str, ...]
    cumulative: tuple[float, ...]
    content_from: int  # words before this rank are the function-word head

    def content(self, low: int, high: int) -> tuple[str, ...]:
        """Content words ranked low to high among content words (0 is the most common)."""
        return self.words[self.content_from + low : self.content_from + high]

    def draw(self, rng: random.Random, count: int) -> list[str]:
        """Draw count words (with repeats), common words far more often than rare ones."""
        return rng.choices(self.words, cum_weights=self.cumulative, k=count)

    def rank_of(self, word: str) -> int:
        """The word's rank (0 is the most common)."""
        return self.words.index(word)


def _seed_words() -> list[str]:
    text = b"\n".join(doc.data for doc in shipped_documents()).decode("utf-8")
    counts: dict[str, int] = {}
    for word in re.findall(r"[A-Za-z][a-z]+", text):
        counts[word.lower()] = counts.get(word.lower(), 0) + 1
    return sorted(counts, key=lambda w: (-counts[w], w))


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def build_vocabulary(seed: int, names: int = 600) -> Vocabulary:
    """Function words, the seed article's words (by frequency), common words, made-up names."""
    rng = random.Random(seed)
    ranked = list(dict.fromkeys(_HEAD.split()))
    head = len(ranked)
    ranked += [w for w in _seed_words() if w not in ranked]
    seen = set(ranked)
    common = [w for w in _COMMON.split() if w not in seen]
    rng.shuffle(common)
    ranked += common
    seen.update(common)
    wanted = len(ranked) + names
    while len(ranked) < wanted:
        word = _name(rng).lower()
        if word not in seen:
            seen.add(word)
            ranked.append(word)
    weights = [1.0 / (rank + 2.7) for rank in range(len(ranked))]  # Zipf, flattened at the head
    return Vocabulary(tuple(ranked), tuple(accumulate(weights)), head)


def prose(rng: random.Random, vocab: Vocabulary, low: int, high: int) -> str:
    """Sentences of vocabulary words adding up to between low and high words."""
    words = vocab.draw(rng, rng.randint(low, high))
    parts, at = [], 0
    while at < len(words):
        size = rng.randint(6, 24)
        chunk = words[at : at + size]
        if len(chunk) > 8 and rng.random() < 0.3:
            chunk[rng.randrange(3, len(chunk) - 2)] += ","
        parts.append(" ".join(chunk).capitalize() + rng.choice(".....?"))
        at += size
    return " ".join(parts)


def article(rng: random.Random, vocab: Vocabulary, number: int) -> tuple[str, str, bytes]:
    """(document id, title, Markdown bytes) of a generated article with headings."""
    title = " ".join(vocab.draw(rng, rng.randint(3, 7))).title()
    doc_id = f"generated-{number:03d}-" + "-".join(re.findall(r"[a-z]+", title.lower())[:4])
    lines = [f"# {title}", ""]
    for _ in range(rng.randint(4, 9)):
        heading = " ".join(vocab.draw(rng, rng.randint(2, 6))).capitalize()
        lines += [f"## {heading}", ""]
        for _ in range(rng.randint(2, 6)):
            lines += [prose(rng, vocab, 40, 160), ""]
    return doc_id, title, "\n".join(lines).encode("utf-8")


def tag_names(rng: random.Random, vocab: Vocabulary, count: int) -> list[str]:
    """count distinct tags, most common first: words and a few hyphenated pairs."""
    pool = [w for w in vocab.content(0, 2400) if len(w) > 3]
    tags: list[str] = []
    seen: set[str] = set()
    while len(tags) < count:
        first = rng.choice(pool)
        tag = f"{first}-{rng.choice(pool)}" if rng.random() < 0.2 else first
        if tag not in seen:
            seen.add(tag)
            tags.append(tag)
    return tags


def person(rng: random.Random) -> str:
    """A made-up author name."""
    return f"{rng.choice(_FIRST_NAMES)} {_name(rng)}"


def zipf_index(rng: random.Random, cumulative: list[float]) -> int:
    """An index drawn with the weights whose running totals are given."""
    return bisect_left(cumulative, rng.random() * cumulative[-1])


def zipf_totals(count: int, exponent: float = 1.0) -> list[float]:
    """Running totals of Zipf weights over count items (for zipf_index)."""
    return list(accumulate(1.0 / (rank + 1) ** exponent for rank in range(count)))


def is_stopword(word: str) -> bool:
    """True for the handful of words both engines would treat as noise."""
    return word in _STOP
