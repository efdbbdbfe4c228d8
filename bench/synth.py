"""Synthetic but realistic news articles for the benchmarks: English, Korean and Khmer, seedable.

Each article opens with sentences composed from clause banks (subjects, actions, objects, places,
numbers, made-up names: they carry the country names relevance looks for), and goes on with words
drawn from a Zipf distribution over a made-up vocabulary per language (English-like syllables,
Hangul syllables with particles, Khmer consonant clusters written without spaces), so that unrelated
articles share common words and phrases the way real news does without being copies. A share
of the articles are near-duplicates of an earlier one, as syndication makes them: the same story
with a new headline, a sentence dropped or reworded, or only its first half. The text is written for
ckmon's benchmarks; nothing is taken from any outlet.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

LANG_SHARES = (("en", 0.5), ("ko", 0.3), ("km", 0.2))
NEAR_DUPLICATE_SHARE = 0.15  # copies of an earlier article, edited
RELEVANT_SHARE = 0.4  # articles naming both countries in the headline

EN = {
    "subject": [
        "The Ministry of Commerce",
        "A delegation of {name}",
        "Minister {name}",
        "The provincial governor",
        "Officials of the labour ministry",
        "The chamber of commerce",
        "A spokesperson for the embassy",
        "Local traders",
        "The central bank",
        "Police in {place}",
        "Garment factory owners",
        "The tourism board",
        "Farmers in {place}",
        "Teachers at a school in {place}",
        "A group of {n} workers",
        "The development agency",
        "Health officials",
        "The airport authority",
    ],
    "action": [
        "said on {day} that",
        "announced plans under which",
        "told reporters in {place} that",
        "confirmed in a statement that",
        "warned that",
        "expects that",
        "reported that",
        "signed an agreement under which",
        "agreed with visiting officials that",
        "estimated that",
    ],
    "clause": [
        "exports of milled rice rose by {n} percent in the first {m} months",
        "a new road linking {place} to the border would open before the rainy season",
        "{n} workers would leave for factories and farms abroad next month",
        "the number of direct flights would grow to {m} a week",
        "investment in the special economic zone reached {n} million dollars",
        "the loan would finance a water treatment plant serving {n},000 households",
        "scholarships would be offered to {n} students from rural provinces",
        "prices of fish and vegetables at the central market moved by {m} percent",
        "a joint task force had freed {n} people held in a scam compound",
        "the hospital would receive {m} new ambulances and training for nurses",
        "visitors from abroad spent an average of {m} nights in the country",
        "the free trade agreement cut tariffs on {n} products",
        "talks on a new labour agreement would resume in {place}",
        "a vocational training centre in {place} would double its intake",
        "power outages had cost small businesses about {n} thousand dollars",
        "the film festival in {place} drew {n},000 people",
    ],
    "tail": [
        "",
        ", according to figures released this week",
        ", a figure higher than last year",
        ", though some observers remain cautious",
        ", with more details expected at the next meeting",
        ", in a move welcomed by local business groups",
    ],
    "place": [
        "Phnom Penh",
        "Siem Reap",
        "Battambang",
        "Kampot",
        "Sihanoukville",
        "Seoul",
        "Busan",
        "Incheon",
        "Takeo",
        "Kandal",
        "Poipet",
        "Koh Kong",
    ],
    "day": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "both": ["Cambodia and South Korea", "Seoul and Phnom Penh", "Cambodian and Korean officials"],
    "one": ["Cambodia", "Phnom Penh", "The Cambodian government", "Siem Reap province"],
}
KO = {
    "subject": [
        "상무부는",
        "{name} 장관은",
        "주지사는",
        "노동부 관계자는",
        "상공회의소는",
        "대사관 대변인은",
        "현지 상인들은",
        "중앙은행은",
        "{place} 경찰은",
        "봉제공장 업주들은",
        "관광청은",
        "{place}의 농민들은",
        "근로자 {n}명은",
        "개발협력기관은",
        "보건 당국은",
    ],
    "action": [
        "{day} 기자들에게",
        "성명을 통해",
        "{place}에서 열린 회의에서",
        "이번 주 발표에서",
        "현지 언론과의 인터뷰에서",
    ],
    "clause": [
        "쌀 수출이 {m}개월 동안 {n}% 늘었다고 밝혔다",
        "{place}와 국경을 잇는 새 도로가 우기 전에 개통될 것이라고 말했다",
        "근로자 {n}명이 다음 달 해외 공장과 농장으로 떠난다고 전했다",
        "직항 노선이 주 {m}회로 늘어날 것이라고 설명했다",
        "경제특구 투자액이 {n}백만 달러에 이르렀다고 발표했다",
        "차관으로 {n}천 가구에 물을 공급하는 정수장을 짓는다고 밝혔다",
        "농촌 지역 학생 {n}명에게 장학금을 준다고 말했다",
        "중앙시장의 생선과 채소 가격이 {m}% 움직였다고 전했다",
        "합동 단속반이 사기 단지에 갇혀 있던 {n}명을 구출했다고 밝혔다",
        "병원에 구급차 {m}대와 간호사 교육이 지원된다고 설명했다",
        "자유무역협정으로 {n}개 품목의 관세가 내려갔다고 말했다",
        "새 노동 협정을 위한 협상이 {place}에서 재개된다고 전했다",
        "{place}의 직업훈련원이 정원을 두 배로 늘린다고 밝혔다",
        "{place} 영화제에 {n}천 명이 모였다고 발표했다",
    ],
    "tail": ["", " 지난해보다 높은 수치다.", " 다음 회의에서 세부 내용이 나올 예정이다."],
    "place": ["프놈펜", "시엠립", "바탐방", "캄폿", "시하누크빌", "서울", "부산", "인천", "타케오"],
    "day": ["월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일"],
    "both": ["한국과 캄보디아", "한·캄", "캄보디아와 대한민국"],
    "one": ["캄보디아", "프놈펜", "캄보디아 정부", "시엠립주"],
}
KM = {
    "subject": [
        "ក្រសួងពាណិជ្ជកម្ម",
        "លោករដ្ឋមន្ត្រី {name}",
        "អភិបាលខេត្ត",
        "មន្ត្រីក្រសួងការងារ",
        "សភាពាណិជ្ជកម្ម",
        "អ្នកនាំពាក្យស្ថានទូត",
        "ឈ្មួញក្នុងស្រុក",
        "ធនាគារជាតិ",
        "ប៉ូលិសនៅ{place}",
        "ម្ចាស់រោងចក្រកាត់ដេរ",
        "កសិករនៅ{place}",
        "ពលករចំនួន {n} នាក់",
        "មន្ត្រីសុខាភិបាល",
    ],
    "action": [
        "បានប្រាប់អ្នកសារព័ត៌មាននៅថ្ងៃ{day}ថា",
        "បានប្រកាសនៅ{place}ថា",
        "បានបញ្ជាក់ក្នុងសេចក្តីថ្លែងការណ៍ថា",
        "បានព្រមានថា",
        "បានរាយការណ៍ថា",
    ],
    "clause": [
        "ការនាំចេញអង្ករបានកើនឡើង {n} ភាគរយក្នុងរយៈពេល {m} ខែ",
        "ផ្លូវថ្មីតភ្ជាប់{place}ទៅព្រំដែននឹងបើកមុនរដូវវស្សា",
        "ពលករ {n} នាក់នឹងចេញទៅធ្វើការនៅរោងចក្រ និងកសិដ្ឋាននៅបរទេសខែក្រោយ",
        "ជើងហោះហើរត្រង់នឹងកើនដល់ {m} ដងក្នុងមួយសប្តាហ៍",
        "ការវិនិយោគក្នុងតំបន់សេដ្ឋកិច្ចពិសេសបានដល់ {n} លានដុល្លារ",
        "ប្រាក់កម្ចីនឹងសាងសង់រោងចក្រចម្រោះទឹកសម្រាប់គ្រួសារ {n} ពាន់",
        "អាហារូបករណ៍នឹងផ្តល់ជូននិស្សិត {n} នាក់មកពីខេត្តជនបទ",
        "តម្លៃត្រី និងបន្លែនៅផ្សារកណ្តាលបានប្រែប្រួល {m} ភាគរយ",
        "ក្រុមការងាររួមបានជួយសង្គ្រោះមនុស្ស {n} នាក់ពីមជ្ឈមណ្ឌលឆបោក",
        "មន្ទីរពេទ្យនឹងទទួលបានរថយន្តសង្គ្រោះ {m} គ្រឿង",
        "កិច្ចព្រមព្រៀងពាណិជ្ជកម្មសេរីបានកាត់បន្ថយពន្ធលើផលិតផល {n} មុខ",
        "មជ្ឈមណ្ឌលបណ្តុះបណ្តាលវិជ្ជាជីវៈនៅ{place}នឹងទទួលសិស្សទ្វេដង",
    ],
    "tail": ["។", " ដែលខ្ពស់ជាងឆ្នាំមុន។", " ហើយព័ត៌មានលម្អិតនឹងប្រកាសនៅកិច្ចប្រជុំក្រោយ។"],
    "place": ["ភ្នំពេញ", "សៀមរាប", "បាត់ដំបង", "កំពត", "ព្រះសីហនុ", "សេអ៊ូល", "តាកែវ", "កណ្តាល"],
    "day": ["ចន្ទ", "អង្គារ", "ពុធ", "ព្រហស្បតិ៍", "សុក្រ", "សៅរ៍", "អាទិត្យ"],
    "both": ["កម្ពុជា និងកូរ៉េខាងត្បូង", "កម្ពុជា-កូរ៉េ", "សាធារណរដ្ឋកូរ៉េ និងកម្ពុជា"],
    "one": ["កម្ពុជា", "ភ្នំពេញ", "រាជរដ្ឋាភិបាលកម្ពុជា", "ខេត្តសៀមរាប"],
}
BANKS = {"en": EN, "ko": KO, "km": KM}
SYLLABLES = {
    "en": ["so", "kha", "chan", "vy", "rith", "mean", "park", "kim", "lee", "jun", "seo", "ra"],
    "ko": ["김", "박", "이", "정", "민", "수", "현", "영", "준", "서", "지", "호"],
    "km": ["សុខ", "ចាន់", "វី", "រិទ្ធ", "មាន", "ស្រី", "ដារ៉ា", "សុភ", "ពិសិដ្ឋ", "នារី"],
}


VOCABULARY = 6000  # made-up words per language
ZIPF = 1.05
FUNCTION_WORDS = {
    "en": ["the", "of", "and", "to", "in", "a", "said", "on", "for", "that", "with", "was", "by"],
    "ko": ["그리고", "있다", "했다", "밝혔다", "이번", "지난", "또한", "대한", "것으로", "위해"],
    "km": ["បាន", "និង", "នៅ", "ថា", "ក្នុង", "ដែល", "របស់", "ជា", "ពី", "សម្រាប់"],
}
KO_PARTICLES = ["은", "는", "이", "가", "을", "를", "에", "에서", "의", "와", "로", "", "", ""]


def _pseudo_word(rng: random.Random, lang: str) -> str:
    if lang == "en":
        onsets = "b c d f g h j k l m n p r s t v w st tr pl ch sh br gr".split() + [""]
        codas = ["", "", "n", "r", "s", "t", "l", "nd", "st", "ng", "ck", "m"]
        return "".join(
            rng.choice(onsets) + rng.choice("a e i o u ai ea ou io".split()) + rng.choice(codas)
            for _ in range(rng.choice((1, 2, 2, 3)))
        )
    if lang == "ko":
        syllables = (
            chr(0xAC00 + (rng.randrange(19) * 21 + rng.randrange(21)) * 28 + rng.choice(finals))
            for finals in [[0, 0, 0, 4, 8, 16, 17, 21]]
            for _ in range(rng.choice((2, 2, 3, 4)))
        )
        return "".join(syllables)
    word = ""
    for _ in range(rng.choice((1, 2, 2, 3))):
        word += chr(rng.randrange(0x1780, 0x17A3))
        if rng.random() < 0.2:
            word += "\u17d2" + chr(rng.randrange(0x1780, 0x17A3))  # a subscript consonant
        if rng.random() < 0.8:
            word += chr(rng.randrange(0x17B6, 0x17C6))
        if rng.random() < 0.4:
            word += chr(rng.randrange(0x1780, 0x17A3))
    return word


@lru_cache(maxsize=3)
def vocabulary(lang: str) -> tuple[list[str], np.ndarray]:
    """A fixed vocabulary (the same whatever the seed) and its Zipf probabilities."""
    rng = random.Random(f"vocabulary-{lang}")
    words = list(dict.fromkeys(_pseudo_word(rng, lang) for _ in range(VOCABULARY * 2)))
    words = FUNCTION_WORDS[lang] + words[:VOCABULARY]
    weights = 1.0 / np.arange(1, len(words) + 1) ** ZIPF
    return words, weights / weights.sum()


def _body_sentence(rng: random.Random, drawn: list[str], lang: str) -> str:
    picked = [drawn.pop() for _ in range(min(len(drawn), rng.randint(8, 22)))] or ["..."]
    bank = BANKS[lang]
    if rng.random() < 0.3:
        picked.insert(rng.randrange(len(picked)), rng.choice(bank["place"]))
    if rng.random() < 0.3:
        picked.insert(rng.randrange(len(picked)), str(rng.randint(2, 2030)))
    if lang == "en":
        return " ".join(picked).capitalize() + "."
    if lang == "ko":
        return " ".join(w + rng.choice(KO_PARTICLES) for w in picked[:-1]) + f" {picked[-1]}다."
    joined = "".join(w + (" " if rng.random() < 0.15 else "") for w in picked)
    return joined.strip() + "។"


@dataclass(frozen=True)
class SynthArticle:
    """One article; `copy_of` is the index of the article it was copied from (-1: original)."""

    index: int
    lang: str
    title: str
    text: str
    relevant: bool
    copy_of: int = -1


def _name(rng: random.Random, lang: str) -> str:
    parts = [rng.choice(SYLLABLES[lang]) for _ in range(rng.randint(2, 3))]
    if lang == "en":
        return " ".join(p.capitalize() for p in parts)
    return "".join(parts)


def _fill(rng: random.Random, lang: str, template: str) -> str:
    bank = BANKS[lang]
    return template.format(
        name=_name(rng, lang),
        place=rng.choice(bank["place"]),
        day=rng.choice(bank["day"]),
        n=rng.randint(2, 950),
        m=rng.randint(2, 12),
    )


def _sentence(rng: random.Random, lang: str) -> str:
    bank = BANKS[lang]
    parts = [_fill(rng, lang, rng.choice(bank[k])) for k in ("subject", "action", "clause")]
    tail = rng.choice(bank["tail"])
    if lang == "en":
        return f"{parts[0]} {parts[1]} {parts[2]}{tail}."
    if lang == "ko":
        return f"{parts[0]} {parts[1]} {parts[2]}.{tail}"
    return f"{parts[0]}{parts[1]}{parts[2]}{tail}"


def _title(rng: random.Random, lang: str, relevant: bool) -> str:
    bank = BANKS[lang]
    who = rng.choice(bank["both" if relevant else "one"])
    clause = _fill(rng, lang, rng.choice(bank["clause"]))
    return f"{who}: {clause}" if lang != "km" else f"{who} ៖ {clause}"


def original(rng: random.Random, draw: np.random.Generator, index: int) -> SynthArticle:
    lang = rng.choices([lang for lang, _ in LANG_SHARES], [w for _, w in LANG_SHARES])[0]
    relevant = rng.random() < RELEVANT_SHARE
    sentences = rng.randint(12, 26) if lang == "en" else rng.randint(8, 18)
    words, p = vocabulary(lang)
    drawn = [words[i] for i in draw.choice(len(words), size=22 * sentences, p=p)]
    paragraphs, current = [], []
    for n in range(sentences):
        current.append(_sentence(rng, lang) if n < 2 else _body_sentence(rng, drawn, lang))
        if len(current) >= rng.randint(2, 4):
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    if relevant:  # the lead names both countries too, as a real bilateral story does
        both = rng.choice(BANKS[lang]["both"])
        paragraphs[0] = f"{both}: {paragraphs[0]}" if lang != "km" else f"{both}៖ {paragraphs[0]}"
    return SynthArticle(index, lang, _title(rng, lang, relevant), "\n\n".join(paragraphs), relevant)


def near_copy(rng: random.Random, index: int, source: SynthArticle) -> SynthArticle:
    """A syndicated copy: new headline, and one edit (first half only, a paragraph dropped, or a
    sentence added)."""
    paragraphs = source.text.split("\n\n")
    edit = rng.random()
    if edit < 0.3 and len(paragraphs) > 2:
        paragraphs = paragraphs[: max(2, len(paragraphs) // 2 + 1)]
    elif edit < 0.6 and len(paragraphs) > 2:
        del paragraphs[rng.randrange(1, len(paragraphs))]
    elif edit < 0.85:
        paragraphs.insert(rng.randrange(1, len(paragraphs) + 1), _sentence(rng, source.lang))
    title = _title(rng, source.lang, source.relevant)
    return SynthArticle(
        index, source.lang, title, "\n\n".join(paragraphs), source.relevant, source.index
    )


def articles(count: int, seed: int = 7) -> Iterator[SynthArticle]:
    """`count` articles, the same for the same seed; about 15% are edited copies of recent ones."""
    rng = random.Random(seed)
    draw = np.random.default_rng(seed)
    recent: list[SynthArticle] = []  # copies follow their original within days, not years
    for index in range(count):
        if recent and rng.random() < NEAR_DUPLICATE_SHARE:
            article = near_copy(rng, index, rng.choice(recent))
        else:
            article = original(rng, draw, index)
            recent = [*recent[-49:], article]
        yield article
