"""Offline SMART check of a mentee's goal, and a rewrite with placeholders.

Plain rules over the text — no model, no network, no streamlit. ``assess`` judges what the
text shows (Specific, Measurable, Achievable, Relevant to the mentee's KPIs, Time-bound);
``rewrite`` keeps the person's words and adds clearly marked placeholders for what is
missing. Labelling rules and the evaluation sets live in ``tests/data/``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, computed_field

MAX_RAW_CHARS = 20_000  # stripped of HTML before the cap below; bounds the regex work
MAX_CHARS = 2_000  # goals are a line or two: text past this is not analysed

CRITERIA = ("specific", "measurable", "achievable", "relevant", "time_bound")


class Verdict(BaseModel):
    """One criterion: met (``None`` = cannot be judged from the text), why, and the phrase found."""

    model_config = ConfigDict(frozen=True)

    met: bool | None
    reason: str
    evidence: str | None = None


class SmartAssessment(BaseModel):
    """The five SMART verdicts of one goal."""

    model_config = ConfigDict(frozen=True)

    specific: Verdict
    measurable: Verdict
    achievable: Verdict
    relevant: Verdict
    time_bound: Verdict
    multiple_goals: bool = False

    @computed_field
    @property
    def score(self) -> int:
        """How many criteria are met (0–5)."""
        return sum(getattr(self, name).met is True for name in CRITERIA)

    @computed_field
    @property
    def missing(self) -> list[str]:
        """Criteria judged *not* met; those that cannot be judged (``None``) are not listed."""
        return [name for name in CRITERIA if getattr(self, name).met is False]


# ---------------------------------------------------------------------------------------
# Cleaning: HTML junk out, whitespace collapsed, common typos fixed.

_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^<>]{0,500}>")
_BULLET = re.compile(r"^\s*(?:[-*•·–]|\d{1,2}[.)])\s+", re.M)
_SPACE = re.compile(r"\s+")

# Misspellings too far from the word for the one-edit fixer below (or too short for it).
_TYPOS = {
    "tommorow": "tomorrow", "tomorow": "tomorrow", "tommorrow": "tomorrow", "tmrw": "tomorrow",
    "tmr": "tomorrow", "2morrow": "tomorrow", "nxt": "next", "wk": "week", "wks": "weeks",
    "mnth": "month", "mth": "month", "teh": "the", "wrte": "write", "rite": "write",
    "finsh": "finish", "fnish": "finish", "compelte": "complete", "thru": "through",
    "tues": "tuesday", "weds": "wednesday", "thur": "thursday", "thurs": "thursday",
    "2day": "today", "2nite": "tonight", "tonite": "tonight", "wensday": "wednesday",
    "wendsday": "wednesday", "febuary": "february", "untill": "until", "b4": "before",
}
# Words whose misspellings matter (deadlines, completion verbs, skill words). A token one
# edit away from one of these (and not a word itself) is read as it.
_FUZZY_KEYS = (
    "monday tuesday wednesday thursday friday saturday sunday january february april "
    "august september october november december tomorrow tonight quarter month weeks "
    "finish publish submit deliver complete present release deploy launch merge write "
    "create design document migrate implement prepare onboarding interview dashboard "
    "coverage certified certification skills confidence communication improve better "
    "before until within sprint review session meeting"
).split()
_NOT_TYPOS = {"print", "mouth", "guild", "weeds", "rights", "beater", "letter", "bitter", "months",
              "week", "weekly", "monthly", "deploy", "deliver", "sessions", "meetings",
              "reviews", "skill", "better", "within", "before", "quarters", "designs", "merged"}


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _build_fuzzy() -> dict[str, str]:
    table: dict[str, str] = {}
    for key in _FUZZY_KEYS:
        for variant in _deletions(key) | {key}:
            table.setdefault(variant, key)
    return table


_FUZZY = _build_fuzzy()
_WORD = re.compile(r"[a-z]{4,}")


def _fix_word(match: re.Match[str]) -> str:
    return _fixed(match.group())


@lru_cache(maxsize=4096)
def _fixed(word: str) -> str:
    if word in _TYPOS:
        return _TYPOS[word]
    if word in _NOT_TYPOS or word in _FUZZY_KEYS or len(word) < 5:
        return word
    if any(word.endswith(end) and word[: -len(end)] in _FUZZY_KEYS for end in ("s", "d", "ed", "ing")):
        return word  # an inflection of a key word, not a typo: "interviews", "merged"
    if word in _FUZZY:  # a letter missing
        return _FUZZY[word]
    for variant in _deletions(word):  # a letter extra, swapped or wrong
        if variant in _FUZZY and abs(len(_FUZZY[variant]) - len(word)) <= 1:
            return _FUZZY[variant]
    return word


_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_SHORT_TYPO = re.compile(r"\b(?:" + "|".join(sorted((t for t in _TYPOS if len(t) < 4), key=len, reverse=True)) + r")\b")


def _clean(goal: object) -> str:
    """The text a person sees: HTML removed, whitespace collapsed, capped."""
    text = goal if isinstance(goal, str) else ("" if goal is None else str(goal))
    text = text[:MAX_RAW_CHARS].replace("\x00", " ")  # NUL marks deadlines internally
    if "<" in text:
        text = _TAG.sub(" ", _SCRIPT.sub(" ", text))
    if "&" in text:
        text = html.unescape(text)
    text = _BULLET.sub(" ; ", text)
    return _SPACE.sub(" ", text).strip(" ;")[:MAX_CHARS]


def _normalise(clean: str) -> str:
    """Lowercase analysis text with typos fixed."""
    low = clean.lower().replace("’", "'")
    low = _THOUSANDS.sub("", low)
    low = _SHORT_TYPO.sub(lambda m: _TYPOS[m.group()], low)
    return _WORD.sub(_fix_word, low)


# ---------------------------------------------------------------------------------------
# Time-bound: deadlines and time frames. Each pattern carries a rough horizon in days, used
# only to judge whether the scope is plausible for the time.

_NUM = (r"(?:\d+(?:\.\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
        r"fourteen|fifteen|twenty|thirty|forty|fifty|sixty|ninety|few|a few|a couple(?: of)?|couple of|several)")
_UNIT = (r"(?:(?:working|business|calendar|full)\s+)?(?:days?|weeks?|months?|quarters?|years?|yrs?|sprints?|"
         r"hours?|hrs?|fortnights?|weekends?|mins?|minutes?|afternoons?|mornings?|evenings?|nights?|iterations?)")
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_WEEKDAY_SHORT = r"(?:mon|tue|tues|wed|thu|thurs|fri|sat|sun)"
_ORD = r"\d{1,2}(?:st|nd|rd|th)?"
_PERIOD = (r"(?:day|week|weekend|month|quarter|sprint|year|cycle|half|term|semester|iteration|"
           r"fiscal year|financial year|fy|q[1-4]|h[12]|summer|winter|spring|autumn|fall|season)")
_EVENT = (r"(?:release|launch|deadline|1:1|1-1|1on1|one[- ]on[- ]one|session|meeting|sync|"
          r"retro(?:spective)?|stand-?up|review|planning|demo(?: day)?|offsite|off-site|"
          r"all[- ]hands|kick-?off|code freeze|freeze|cut-?over|go[- ]live|conference|summit|qbr|"
          r"holidays?|vacation|leave|break|renewal(?: date)?|check-?in|catch-?up|workshop|"
          r"hackathon|town ?hall|handover|hand-?off|onsite|board meeting|quarterly planning|trial|meet-?up)")
_DET = r"(?:the|our|my|this|his|her|their|your)"
_FILLER = r"(?:(?!\w+ing\b|more\b|in\b|at\b|on\b|to\b)[\w'-]+\s+)"  # words inside an event name

_TIME_PATTERNS: list[tuple[str, float | str | None]] = [  # (pattern, days | "dur" | "period" | unknown)
    (r"\b(?:19|20)\d{2}-\d{1,2}-\d{1,2}\b", None),
    (r"(?<![\w./-])\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d{2}(?![\w./-])", None),
    (r"\b" + _ORD + r"(?:\s+of)?\s+" + _MONTH + r"\b", None),
    (r"\b" + _MONTH + r"\.?\s+" + _ORD + r"\b(?!\s*(?:%|k\b|people|users|of\b))", None),
    (r"\b(?:by|in|until|till|before|during|through|for|from|mid|early|late|end of|start of|"
     r"beginning of|middle of|end-of)[\s-]+" + _MONTH + r"\b", None),
    (r"\b(?:january|february|april|june|july|august|september|october|november|december)\b", None),
    (r"\b(?:by|in|until|before|during|this|next|over the|end of)\s+(?:the\s+)?(?:summer|winter|spring|autumn|fall)"
     r"(?!\s+(?:boot|framework|cleaning))\b", 120),
    (r"\b(?:on|by|before|until|till|due)\s+(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b", None),
    (r"\bthe\s+\d{1,2}(?:st|nd|rd|th)\b(?!\s+(?:time|sprint|step|item|floor|place|percentile))", None),
    (r"(?<!every )(?<!each )\b(?:next |this |coming )?" + _WEEKDAY + r"\b", 5),
    (r"\b(?:by|on|until|till|before|next|this|due|eod|eow)\s+" + _WEEKDAY_SHORT + r"\b\.?", 5),
    (r"\bfri\b", 5),
    (r"\b(?:today|tonight|eod|cob|eob|this (?:morning|afternoon|evening))\b", 0.5),
    (r"\bend of (?:the\s+)?(?:day|business|play)\b", 0.5),
    (r"\btomorrow\b", 1),
    (r"\b(?:eow|this weekend|this week)\b", 5),
    (r"\b(?:eom|eoq|eoy|eofy|eoh)\b", 30),
    (r"\b(?:(?:by|in|within|over|during|for)\s+)?(?:the\s+)?(?:next|coming|following|upcoming)\s+"
     + _NUM + r"\s+(?:more\s+)?" + _UNIT + r"\b", "dur"),
    (r"\b(?:in|within|inside)\s+(?:the\s+|my\s+|our\s+|their\s+|his\s+|her\s+)?(?:next\s+|first\s+)?"
     + _NUM + r"\s+(?:more\s+)?" + _UNIT + r"(?:'?s? time)?\b", "dur"),
    (r"\b" + _NUM + r"\s+" + _UNIT + r"\s+(?:from now|from today|out)\b", "dur"),
    (r"\b(?:this|next|the next|the coming|coming|upcoming|following|current)\s+(?:\w+\s+)?"
     + _PERIOD + r"\b", "period"),
    (r"\b(?:end|close|start|beginning|middle|mid|half|rest)[\s-]+(?:of\s+)?(?:the\s+)?"
     r"(?:this\s+|next\s+|current\s+)?(?:\w+\s+)?(?:" + _PERIOD + r"|" + _MONTH + r"|fy\s?'?\d{2,4})\b", "period"),
    (r"\b(?:year|quarter|month|week|sprint)[\s-]end\b", "period"),
    # "the Q3 roadmap" names a thing, not a deadline; "my Q3 quota" is bounded by the quarter.
    (r"(?<!the )(?<!our )(?<!my )(?<!their )(?<!your )(?<!his )(?<!her )"
     r"\b(?:q[1-4]|h[12])(?:\s+(?:19|20)?\d{2})?\b", 90),
    (r"\b(?:the|our|my|their|your)\s+(?:q[1-4]|h[12])\s+(?:quota|target|goal|number)s?\b", 90),
    (r"\b(?:by|on|before|within|in)\s+(?:the\s+|my\s+|our\s+|their\s+|his\s+|her\s+)?first\s+"
     r"(?:day|week|month|sprint|quarter|year)\b", 30),
    (r"\b(?:before|by|until)\s+(?:the\s+)?(?:[\w-]+\s+){1,2}(?:closes|ends|starts|opens|expires|begins|"
     r"kicks off|goes live|launches|ships)\b", 30),
    (r"\bfor\s+(?:a|one|two|three|four|five|six|a few|a couple of|\d+)\s+(?:more\s+)?"
     r"(?:days?|weeks?|months?|sprints?|fortnights?)\b", "dur"),
    (r"\bfy\s?'?\d{2,4}\b", 365),
    (r"\b(?:by|in|before|until|during|end of|for)\s+(?:19|20)\d{2}\b", 365),
    (r"\b(?:by|at|before|until|till)\s+\d{1,2}(?::\d{2})?\s*(?:am|pm)\b", 0.5),
    (r"\b\d{1,2}(?::\d{2})?\s*(?:am|pm)\s+(?:today|tomorrow|tonight)", 0.5),
    (r"\b(?:by|at|before|until)\s+(?:\d{1,2}:\d{2}|noon|midday|midnight|lunch(?:time)?)\b", 0.5),
    (r"\b(?:by|in|during|before|end of)\s+sprint\s+\d+\b", 14),
    (r"\b(?:by|before|until|till|ahead of|prior to|in time for|after)\s+(?:the\s+|" + _DET + r"\s+)?"
     r"(?:next|upcoming|coming|first)\s+" + _FILLER + r"{0,3}?" + _EVENT + r"s?\b", 14),
    (r"\b(?:by|before|until|till|ahead of|prior to|in time for)\s+(?:the\s+|" + _DET + r"\s+)?"
     + _FILLER + r"{0,3}?" + _EVENT + r"s?\b", 14),
    (r"\b(?:before|until|till)\s+(?:i|we|you|they|he|she)\s+(?:go|leave|start|move|switch)\b", 30),
    (r"\b(?:next|upcoming|coming)\s+(?:[\w'-]+\s+){0,2}?" + _EVENT + r"s?\b", 14),
    # A dated or numbered event: "at the March meetup", "in the 4.2 release", "in release 4.2".
    (r"\b(?:at|in|during|for)\s+(?:the\s+|our\s+)?" + _MONTH + r"\s+" + _EVENT + r"s?\b", None),
    (r"\b(?:in|with|for)\s+(?:the\s+)?v?\d+(?:\.\d+)+\s+release\b|\bin\s+release\s+v?\d+(?:\.\d+)*\b", 30),
    (r"\bin (?:a|one) (?:afternoon|morning|evening|night|day|sitting)\b", 0.5),
    (r"\b(?:fortnight|over the weekend)\b", 14),
    (r"\bwithin\s+the\s+(?:day|week|month|quarter|sprint|year)\b", "period"),
    (r"(?<![\w/.])\d{1,2}/(?:19|20)\d{2}\b", None),
    (r"\b(?:by|before|until|till|for|after)\s+(?:the\s+)?(?:christmas|xmas|easter|thanksgiving|new year|"
     r"holidays|holiday season|summer break|winter break|year[- ]end|half[- ]term)\b", None),
]
# One alternation, scanned once: each branch is a named group so the match tells its horizon.
# Every branch starts a word, so the lookbehind lets the scan skip mid-word positions fast.
_TIME = re.compile("(?<!\\w)(?:" + "|".join(f"(?P<t{i}>{p})" for i, (p, _) in enumerate(_TIME_PATTERNS)) + ")")
_TIME_KIND = {f"t{i}": kind for i, (_, kind) in enumerate(_TIME_PATTERNS)}
# Numeric dates without a year, checked for a valid day and month (so ratios are not dates).
_SLASH_DATE = re.compile(r"(?<![\w./$-])(\d{1,2})/(\d{1,2})(?![\w/%]|\s+of\b|\s+(?:support|coverage|on-?call)\b)")
_DOT_DATE = re.compile(r"(?<![\w.$])(\d{2})\.(\d{2})(?![\w.%])")
_VAGUE_TIME = re.compile(
    r"\b(?:soon|soonish|asap|a\.s\.a\.p|as soon as (?:possible|i can|we can)|eventually|some ?day|"
    r"some ?time|at some point|one day|later(?: on)?|in the future|in due course|whenever|"
    r"when i (?:have|get|find) (?:the |some )?time|long[- ]term|down the (?:road|line)|"
    r"in the near future|shortly|sooner or later|over time)\b")

_UNIT_DAYS = {"hour": 1 / 24, "hr": 1 / 24, "min": 1 / 1440, "minute": 1 / 1440, "afternoon": 0.5,
              "morning": 0.5, "evening": 0.5, "night": 0.5, "day": 1, "weekend": 2, "week": 7,
              "fortnight": 14, "sprint": 14, "iteration": 14, "month": 30, "quarter": 90, "year": 365,
              "yr": 365}
_PERIOD_DAYS = {"day": 1, "week": 7, "weekend": 2, "month": 30, "sprint": 14, "iteration": 14,
                "cycle": 14, "quarter": 90, "half": 180, "year": 365, "term": 120, "semester": 120}
_NUM_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
              "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
              "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
              "sixty": 60, "ninety": 90, "hundred": 100, "thousand": 1000, "dozen": 12,
              "once": 1, "twice": 2, "thrice": 3}


def _horizon(phrase: str, kind: float | str | None) -> float | None:
    """Rough days until the deadline a time phrase gives; ``None`` when unknown (a date)."""
    if not isinstance(kind, str):
        return kind
    words = phrase.split()
    if kind == "dur":
        amount = next((_to_number(w) for w in words if _to_number(w) is not None), 3)
        unit = next((u for w in words for u in _UNIT_DAYS if w.startswith(u)), "day")
        return amount * _UNIT_DAYS[unit]
    unit = next((p for w in reversed(words) for p in _PERIOD_DAYS if w.startswith(p)), None)
    if unit is None:
        return 90 if re.search(r"q[1-4]|h[12]|fy", phrase) else None
    return _PERIOD_DAYS[unit] * (2 if "next" in words else 1)


def _to_number(word: str) -> float | None:
    word = word.replace(",", "")
    if word in _NUM_WORDS:
        return _NUM_WORDS[word]
    try:
        return float(word)
    except ValueError:
        return None


@dataclass
class _Times:
    spans: list[tuple[int, int]] = field(default_factory=list)
    evidence: str | None = None
    horizon: float | None = None  # the nearest deadline, in days, when it can be told


def _find_times(low: str) -> _Times:
    found = _Times()
    for match in _TIME.finditer(low):
        found.spans.append(match.span())
        found.evidence = found.evidence or match.group().strip()
        days = _horizon(match.group(), _TIME_KIND[match.lastgroup or ""])
        if days is not None and (found.horizon is None or days < found.horizon):
            found.horizon = days
    for pattern, order in ((_SLASH_DATE, "any"), (_DOT_DATE, "dm")):
        for match in pattern.finditer(low):
            a, b = int(match.group(1)), int(match.group(2))
            valid = (1 <= a <= 31 and 1 <= b <= 12) or (order == "any" and 1 <= a <= 12 and 1 <= b <= 31)
            if valid and match.group() != "24/7":
                found.spans.append(match.span())
                found.evidence = found.evidence or match.group()
    return found


_MASK_RUN = re.compile("\x00+")
_TIME_POSSESSIVE = re.compile(r" ⏱ '?s\b")


def _mask(low: str, spans: list[tuple[int, int]]) -> str:
    """Replace time phrases with a marker so their numbers are not read as counts."""
    if not spans:
        return low
    chars = list(low)
    for start, end in spans:
        chars[start:end] = ["\x00"] * (end - start)
    masked = _MASK_RUN.sub(" ⏱ ", "".join(chars))
    return _TIME_POSSESSIVE.sub(" the ", masked)  # "next quarter's roadmap" -> "the roadmap"


# ---------------------------------------------------------------------------------------
# Vocabulary: verbs by what they say about the goal, and nouns by how concrete they are.

def _forms(words: str) -> set[str]:
    """A verb's common inflections (over-generating is harmless here)."""
    out: set[str] = set()
    for w in words.split():
        out |= {w, w + "s", w + "es", w + "ed", w + "d", w + "ing"}
        if w.endswith("e"):
            out |= {w[:-1] + "ing", w[:-1] + "ed"}
        if w.endswith("y"):
            out |= {w[:-1] + "ies", w[:-1] + "ied"}
        if re.search(r"[^aeiou][aeiou][bdgklmnprt]$", w):
            out |= {w + w[-1] + "ed", w + w[-1] + "ing"}
    return out


# A concrete object plus one of these makes "done" observable.
_DELIVER = _forms(
    "finish complete merge publish ship release launch deploy submit deliver send present demo "
    "pass close resolve sign hire migrate upgrade implement automate install build create write "
    "draft document design redesign prepare produce record translate audit add remove delete "
    "retire replace archive deprecate fix train share book schedule organise organize host run "
    "hold lead facilitate interview sketch define log file post read give rewrite rebuild "
    "configure integrate conduct finalise finalize onboard recruit compile summarise summarize "
    "enable introduce establish secure win renew apply register enrol enroll attend speak "
    "mentor convert port containerise containerize patch rehearse email call land pitch nail "
    "delegate find move switch transition consolidate approve propose circulate distribute invite "
    "earn assign file submit order purchase buy obtain acquire sunset decommission "
    "kick catalogue catalog inventory benchmark outline storyboard prototype wireframe mock "
    "illustrate draw paint film edit proofread localise localize tag label reconcile agree sit ask"
) | {"wrote", "written", "built", "ran", "held", "led", "sent", "gave", "given", "read", "won",
     "set", "setting", "hand", "handed", "handing", "wrap", "wrapped", "roll", "rolled", "spoke",
     "drew", "drawn", "shipped", "shipping", "undertake", "found", "landed"}
# Direction without an end state: specific with a concrete object, measurable only with a number.
_DIRECTIONAL = _forms(
    "improve increase reduce decrease cut lower raise grow boost make enhance optimise optimize "
    "speed refactor clean update streamline simplify tidy polish strengthen expand drive bring "
    "keep maintain reach hit achieve lift minimise minimize maximise maximize accelerate double "
    "triple halve shorten tighten revamp rework modernise modernize fine-tune tune stabilise "
    "stabilize harden lose gain save shrink trim scale widen narrow deepen broaden"
) | {"made", "kept", "brought", "cut", "cutting"}
_NEUTRAL = _forms(
    "talk pair review spend do have ask stop start begin meet coach shadow join visit check track "
    "measure monitor contribute engage connect collaborate reach prioritise prioritize plan spike "
    "investigate analyse analyze look try take use adopt cancel block network escalate "
    "sell prospect answer respond reply follow sort tackle handle own get go work focus manage "
    "map test validate verify explain teach walk cover assess evaluate estimate negotiate "
    "clarify align discuss decide choose pick find collect gather survey research benchmark "
    "profile debug trace triage groom refine identify list spot attend observe interview "
    "recognise recognize celebrate listen observe journal reflect enter fill turn"
) | {"did", "done", "doing", "had", "having", "took", "taken", "spent", "met", "sold", "got",
     "gotten", "went", "chose", "taught", "paired"}
# Skills, traits and feelings: never specific on their own.
_SKILL = _forms(
    "learn study understand master practise practice explore familiarise familiarize brush "
    "level deepen develop be become feel stay seem help support assist ensure know"
) | {"am", "is", "are", "being", "been", "became", "felt", "learnt", "understood", "knew"}
# One lookup per token; a form in several classes goes to the later one here (skill wins).
_VERB_KIND = {w: kind for kind, forms in (("neutral", _NEUTRAL), ("directional", _DIRECTIONAL),
                                          ("deliver", _DELIVER), ("skill", _SKILL)) for w in forms}
_PAST_ONLY = {"was", "were", "did", "had"}  # "I was on holiday", "had a good week": reports, not goals
_SKILL_PHRASES = re.compile(
    r"\b(?:get|getting|be|become|feel)\s+(?:much\s+|a lot\s+|a bit\s+)?(?:better|good|great|stronger|more"
    r"\s+(?:comfortable|confident|familiar)|comfortable|confident|familiar|fluent)\s+(?:at|with|in)\b"
    r"|\b(?:improve|improving)\s+(?:at|in)\b|\blevel\s+up\b|\bbrush\s+up\b|\bmake sure\b|\bwork on (?:my|myself)\b"
    r"|\b(?:get|getting|come|coming)\s+up\s+to\s+speed\b|\bramp(?:ing)?\s+up\b|\bget\s+to\s+know\b"
    r"|\b(?:prepare|preparing|study|studying|practi[cs]e|practi[cs]ing|get ready|be ready)\s+for\b"
    r"|\bkeep(?:ing)? up with\b|\bstay(?:ing)? (?:on top of|up to date|current|informed)\b")

_DETERMINERS = {"the", "a", "an", "our", "my", "this", "that", "these", "those", "his", "her",
                "their", "your", "its", "each", "every", "all", "both", "one", "which", "why",
                "what", "how", "whole", "entire"}
_PRONOUNS = {"it", "them", "this", "that", "these", "those", "everything", "something",
             "anything", "things", "stuff", "myself", "yourself", "ourselves"}
_PREPS = {"of", "on", "for", "in", "at", "with", "to", "from", "about", "into", "across", "per",
          "within", "during", "through", "around", "via", "under", "over", "inside", "up", "out",
          "off", "down", "after", "between", "against", "without"}
_STOP = _PREPS | _DETERMINERS | {"and", "or", "but", "so", "then", "i", "we", "you", "me", "us",
                                  "is", "are", "be", "to", "by", "as", "if", "than", "more", "some",
                                  "any", "no", "not", "just", "also", "really", "very", "least"}
_VAGUE_AMOUNT = {"more", "less", "fewer", "better", "some", "few", "lot", "lots", "much", "many",
                 "several", "various", "harder", "sure", "progress", "headway", "strides"}
_VAGUE_WORDS = _VAGUE_AMOUNT | {"thing", "things", "stuff", "everything", "something", "anything",
                                "best", "bit", "week", "day", "time", "job", "effort", "way", "ways",
                                "whatever", "product", "business", "company", "team", "work", "well",
                                "task", "tasks", "goals", "deliverables", "ideas"}
# "ship features faster", "make the app faster": a comparison, not an object.
_COMPARATIVE = re.compile(
    r"^(?:better|worse|faster|quicker|slower|easier|simpler|cleaner|clearer|smoother|safer|cheaper|"
    r"smaller|bigger|larger|shorter|longer|stronger|prettier|nicer|lighter|tighter|leaner|more|less|"
    r"sooner|higher|lower|greater|sharper|friendlier|happier|healthier|calmer|tidier|earlier|later|"
    r"quieter|fewer|harder|sure)$")
# A skill, trait or feeling as the object: "improve my testing skills", "increase my confidence".
_ABSTRACT = re.compile(
    r"^(?:skills?|skillset|knowledge|confidence|communications?|comms|leadership|mindset|attitude|"
    r"understanding|abilit(?:y|ies)|habits?|productivity|morale|visibility|presence|network(?:ing)?|"
    r"balance|work-life|stress|management|focus|creativity|career|growth|self|myself|english|"
    r"spanish|german|french|japanese|game|craft|expertise|experience|capabilit(?:y|ies)|"
    r"competenc(?:e|y|ies)|relationships?|collaboration|teamwork|energy|motivation|wellbeing|"
    r"well-being|health|fitness|feedback|patience|empathy|resilience|organisation|organization|"
    r"discipline|listening|speaking|writing|coding|programming|prototyping|thinking|presenting|"
    r"presentation|negotiation|sql|python|statistics|maths?|design|english|style|level|potential|"
    r"reputation|impact|influence|ownership|initiative|accountability|efficiency|trust|rapport|"
    r"credibility|responsibilit(?:y|ies)|independence|autonomy|role|expectations|priorities|boundaries|"
    r"direction|path|trends|mistakes|lessons|"
    r"life|mood|happiness|sleep|strategy|vision|culture|standards?)$")
# A measure of something: concrete only with a scope ("of the billing service") or a target.
_METRIC = re.compile(
    r"^(?:coverage|latency|churn|retention|sales|revenue|conversions?|engagement|errors?|failures?|"
    r"accuracy|speed|uptime|nps|csat|velocity|throughput|costs?|spend|bill|followers|following|"
    r"traffic|signups|sign-ups|activation|adoption|satisfaction|escalations|load|pages|usage|"
    r"response|handle|time|times|rate|rates|score|scores|numbers?|metrics?|kpis?|results?|"
    r"bugs|incidents|downtime|reach|awareness|pipeline|quota|target|output|volume|deflection|"
    r"quality|performance|onboarding|documentation|process|processes|amount|count|level)$")
# Nouns a person can point at: concrete even without a determiner when singular or counted.
_TOOLS = {
    "salesforce", "jira", "confluence", "figma", "looker", "github", "gitlab", "slack", "notion",
    "hubspot", "zendesk", "kubernetes", "k8s", "aws", "gcp", "azure", "docker", "terraform",
    "postgres", "mysql", "kafka", "dbt", "airflow", "tableau", "metabase", "excel", "pypi",
    "linkedin", "coursera", "udemy", "sentry", "datadog", "grafana", "snowflake", "bigquery",
    "readme", "changelog", "ci", "api", "sdk", "cli", "okrs", "okr", "prd", "rfc", "qbr",
}
_NAME_NOISE = {"i", "i'm", "i'll", "i've", "i'd", "the", "a", "an", "my", "our", "and", "by",
               "to", "be", "get", "improve", "write", "ship", "make", "q1", "q2", "q3", "q4"}

_NUMBER = re.compile(r"(?<![\w.:/#-])(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w:/]|\.\d)")
_TURNAROUND = re.compile(
    r"\b(?:respond|reply|answer|resolve|review|acknowledge|triage|turn around|pick up)\w*\b[^.;]{0,60}?"
    r"(?P<limit>\bwithin\s+(?:\d+|an?|one|two|three|four|five|24|48)\s+(?:working |business )?"
    r"(?:hours?|days?|minutes?|mins?|hrs?)\b)")
_FREQUENCY = re.compile(r"\b(?:once|twice|thrice|(?:\d+|two|three|four|five)\s+times)\s+(?:a|an|per|each|every)\s+"
                        r"(?:day|week|month|sprint|quarter|year|fortnight)\b")
_MONEY = re.compile(r"[$€£]\s?\d|\b\d+(?:\.\d+)?\s?(?:k|m|bn)?\s?(?:usd|eur|gbp|dollars|euros|pounds)\b")
_MEASURE_UNIT = re.compile(
    r"\b24/7\b|\binbox zero\b|\bzero\s+(?:[\w-]+\s+)?(?:bugs|errors|incidents|defects|tickets|escalations|"
    r"warnings|downtime|failures|outages)\b"
    r"|\b\d{1,2}(?::\d{2})?\s*(?:am|pm)?\s*[-–]\s*\d{1,2}(?::\d{2})?\s*(?:am|pm)\b"
    r"|(?<![\w.])(?:\d+(?:\.\d+)?)\s?(?:ms|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|%|percent|"
    r"pp|points?|k|m|gb|mb|tb|kg|lbs?|km|miles?|steps|words|pages)\b|(?<![\w.])\d+(?:\.\d+)?%")
_THRESHOLD = re.compile(
    r"\b(?:under|below|above|over|at least|at most|less than|more than|fewer than|no more than|"
    r"greater than|up to|to|from|than|of|beyond|within|hit|reach|by)\s*~?\s*[<>≤≥]?\s*(?:\d+(?:\.\d+)?|zero\b)"
    r"|[<>≤≥]\s*\d")
_FAKE_MEASURE = re.compile(
    r"(?<!\w)(?:(?:\d+\s?%|\d+\s?percent|\d+\s*(?:x|times))\s+(?:more\s+|less\s+)?(?:better|happier|harder|"
    r"smarter|stronger|productive|efficient|effective|improvement|improved|confident|engaged|"
    r"motivated|focused|creative|organi[sz]ed|proactive)|\bgiv\w*\s+(?:it\s+)?(?:my\s+|your\s+)?"
    r"\d+\s?%|\b\d+\s?x\s+(?:engineer|developer|designer|person|employee|manager|better)\b"
    r"|\b(?:a lot|lots|way|much|loads|tons)\s+(?:more|better|faster|less)\b|\bimprove\s+(?:a lot|loads))")
_DONE_STATE = re.compile(
    r"\b(?:signed[- ]off|sign[- ]off|approved|done|completed|finished|live|merged|shipped|"
    r"published|launched|released|deployed|certified|promoted|green|in production|accepted|"
    r"closed|resolved|submitted|delivered|automated|fixed|migrated|upgraded|set up|in place|ready|"
    r"buy-in|buy in|approval|go-ahead|green light|agreement|"
    r"running|written|documented|merged)\b")
_CERTIFIED = re.compile(r"\b(?:get|getting|become|be)\s+(?P<what>[\w-]+\s+){0,3}?"
                        r"(?:certified|certification|cert|certificate)s?\b")
_PROMOTED = re.compile(r"\b(?:(?:get|getting|got|be|being|been)\s+promoted|(?:get|earn|win|land)\s+(?:a|my|the)\s+"
                       r"promotion)(?P<to>\s+to\s+\w+)?")
_NEW_JOB = re.compile(r"\b(?:get|land|secure|accept|sign)\s+(?:a|an|the|my)\s+(?:[\w-]+\s+){0,2}?"
                      r"(?:job|offer|role|position|promotion|raise|internship)\b|\bask\s+(?:[\w']+\s+){0,3}?for\s+"
                      r"(?:a|an|the|my)\s+(?:raise|promotion|transfer|budget|pay rise|salary review)\b")
_HIT_TARGET = re.compile(r"\b(?:hit|reach|meet|beat|exceed|make)\s+(?:\d+%\s+of\s+)?(?:my|our|the)?\s*"
                         r"(?:[\w⏱-]+\s+){0,2}?(?:quota|target|number)s?\b")
# "have a 1:1", "take a course": the event happening is the measure.
_TAKE_PART = {"have", "has", "having", "hold", "holding", "take", "takes", "taking", "took"}
_MEETING_NOUNS = {"conversation", "chat", "chats", "meeting", "meetings", "call", "calls", "1:1",
                  "1:1s", "discussion", "session", "sessions", "catch-up", "sync", "retro", "course",
                  "class", "exam", "training", "workshop", "module", "lesson", "test", "vacation",
                  "holiday", "break", "leave", "week", "day"}
_UNIVERSAL = re.compile(r"\b(?:every|each|all)\s+(?!(?:day|morning|evening|night|week|month|sprint|time|year|"
                        r"quarter|monday|tuesday|wednesday|thursday|friday)\b)(?:of\s+)?(?:the\s+|my\s+|our\s+)?"
                        r"(?:[\w-]+\s+){0,2}?[\w-]+")
_NON_GOAL = re.compile(
    r"^(?:hi|hello|hey|thanks?|thank you|cheers|n/?a|tbd|tba|none|nothing|idk|lol|no idea|"
    r"not sure|no goals?|test|testing|ok|okay|yes|no)\b")
_BOUNDARY = {",", ";", ".", "!", "?", "(", ")", "⏱", ":", "[", "]", "|", "—", "–"}
_CUT_WORDS = {"by", "before", "until", "so", "because", "then", "while", "when", "which",
              "that", "and", "or", "but", "to", "since", "if", "unless", "who", "every", "each", "per",
              "asap", "soon", "eventually", "someday", "sometime", "later", "whenever"}
# End an object at "review PRs weekly", but keep "the weekly report" whole.
_CADENCE_WORDS = {"daily", "weekly", "monthly", "fortnightly", "nightly"}
_TOKEN = re.compile(r"⏱|[\w$#@%][\w$#@%'/.:+&-]*[\w%]|[\w$#@%]|[,;!?()\[\]|—–]|(?<=\w)[.:](?=\s|$)")

_HEAVY_ITEMS = re.compile(
    r"^(?:books?|novels?|courses?|certifications?|certificates?|apps?|applications?|websites?|sites?|"
    r"platforms?|services?|microservices?|dashboards?|features?|products?|languages?|marathons?|"
    r"talks?|articles?|posts?|case studies|chapters?|modules?|systems?|papers?|exams?|degrees?)$")
_HUGE_SCOPE = re.compile(
    r"\b(?:whole|entire|complete|full|all of (?:the|our))\s+(?:[\w-]+\s+){0,2}?(?:platform|app|application|"
    r"system|codebase|code base|product|website|site|stack|warehouse|backend|back-end|frontend|"
    r"front-end|infrastructure|infra|monolith|company|org|organisation|organization|database|"
    r"catalog(?:ue)?|curriculum|book|series|backlog|suite)\b|\bfrom scratch\b|\bcomplete rewrite\b")
_MASTERY = re.compile(r"\b(?:fluent(?:ly)?|fluency|native[- ]level|master(?!\s+branch)|become an? expert|"
                      r"learn (?:to code|programming|(?:a|another) (?:new )?language))\b")
# Work that takes weeks at the very least, whatever the count.
_BIG_DELIVERABLE = re.compile(
    r"\b(?:write|writing|finish|build|building|launch|start|found)\s+(?:a|an|my|our|the)\s+(?:[\w-]+\s+)?"
    r"(?:novel|book|thesis|dissertation|operating system|compiler|game engine|startup|company|business)\b")
# Growth of 100 % or more, or a multiple, needs more than days.
_HUGE_GROWTH = re.compile(r"\bby\s+(?:[1-9]\d{2,})\s?%|\b(?:double|triple|quadruple|10x|5x)\b")


@dataclass
class _Goal:
    """One goal's text in the forms the rules read."""

    clean: str
    low: str
    masked: str
    tokens: list[str]
    names: set[str]
    times: _Times


_NAME_HINT = re.compile(r"[A-Z0-9#/]")
_NAME_PIECE = re.compile(r"[\w#/][\w#/.+'-]*|[.!?;:\n]")
_SENTENCE_END = set(".!?;:\n")
_CALENDAR_WORD = re.compile(_WEEKDAY + "|" + _MONTH)


def _named(clean: str) -> set[str]:
    """Lowercased words that look like names: Capitalised mid-sentence, ACRONYMS, code-like."""
    if not _NAME_HINT.search(clean):
        return set()
    pieces = _NAME_PIECE.findall(clean)
    words = [w for w in pieces if w not in _SENTENCE_END]
    title_case = len(words) >= 4 and sum(w[:1].isupper() for w in words) >= 0.6 * len(words)
    shouting = len(words) >= 3 and sum(w.isupper() for w in words) >= 0.6 * len(words)  # ALL CAPS
    names: set[str] = set()
    sentence_start = True
    for word in pieces:
        if word in _SENTENCE_END:
            sentence_start = True
            continue
        bare = word.rstrip(".").strip("'")
        if bare.islower() and bare.isalpha():
            sentence_start = False
            continue  # the common case: a plain lowercase word
        low = bare.lower()
        code_like = (any(c.isdigit() for c in bare) and any(c.isalpha() for c in bare)) or bare[:1] in "#/"
        acronym = len(bare) >= 2 and bare.isupper() and bare.isalpha() and not shouting
        capital = bare[:1].isupper() and not sentence_start and not title_case
        if (code_like or acronym or capital or (bare.isupper() and len(bare) == 1 and bare != "I")) \
                and low not in _NAME_NOISE and not _CALENDAR_WORD.fullmatch(low):
            names.add(low)
        sentence_start = False
    return names


def _prepare(goal: object) -> _Goal:
    clean = _clean(goal)
    low = _normalise(clean)
    times = _find_times(low)
    masked = _mask(low, times.spans)
    tokens = [t.rstrip(".:") or t for t in _TOKEN.findall(masked)]
    return _Goal(clean, low, masked, tokens, _named(clean), times)


# ---------------------------------------------------------------------------------------
# Specific: a concrete action on a concrete object.

@dataclass
class _Action:
    verb: str
    kind: str  # deliver | directional | neutral | skill
    phrase: str  # the verb and its object, as read
    concrete: bool
    object_words: list[str]
    open_ended: bool = False  # "write unit tests": no article, no count — how many?
    abstract: bool = False  # the object is a skill or trait: "improve my testing skills"


def _verb_kind(token: str) -> str | None:
    return _VERB_KIND.get(token)


def _object_after(tokens: list[str], start: int) -> list[str]:
    """The words after a verb, up to a clause boundary, a deadline or the next verb."""
    words: list[str] = []
    window = tokens[start:start + 14]
    for n, token in enumerate(window):
        nxt = window[n + 1] if n + 1 < len(window) else ""
        if token == "⏱" and words and (words[-1] in _DETERMINERS or words[-1] == "of"):
            continue  # "the Q4 forecast", "my Q3 quota": a date used as an adjective
        if token in {"to", "and", "or", "&"} and words and not (_verb_kind(nxt) and not _NUMBER.fullmatch(nxt)):
            words.append(token)
            continue
        if token in {"and", "or", "&"} and not words:
            break
        if token in _BOUNDARY or (words and token in _CUT_WORDS):
            break
        if token in _CADENCE_WORDS and words and words[-1] not in _DETERMINERS:
            break
        if words and _verb_kind(token) and words[-1] not in _DETERMINERS and token not in _NUM_WORDS \
                and not _is_noun_use(token, words):
            break
        words.append(token)
    return words


def _is_noun_use(token: str, before: list[str]) -> bool:
    """'the release', 'a demo', 'weekly review': a verb form used as a noun."""
    return bool(before) and (before[-1] in _DETERMINERS or before[-1] not in _STOP) \
        and token not in {"be", "is", "are", "am", "was", "were", "been", "being", "become", "feel"}


def _is_concrete(words: list[str], names: set[str], kind: str) -> bool:
    """Is this object something a person can point at (not a skill, a trait or a vague area)?"""
    while words and words[0] in _PREPS:
        words = words[1:]  # "talk to 10 customers", "work on the design system"
    if not words:
        return False
    head: list[str] = []  # the first noun group, before any preposition
    for w in words:
        if w in _PREPS:
            break
        head.append(w)
    rest = words[len(head):]
    content = [w for w in head if w not in _STOP and not _COMPARATIVE.match(w)]
    determined = bool(head) and head[0] in _DETERMINERS and bool(content)
    if (head[:1] and head[0] in _VAGUE_AMOUNT or head[1:2] and head[1] in {"lot", "lots", "few", "bit", "little"}) \
            and not _counted(head):
        return False  # "more customers", "some code reviews", "a lot of things"
    if len(content) < len([w for w in head if w not in _STOP]) and not determined and not _counted(head):
        return False  # "ship features faster": a bare object with a comparison
    portion = all(w[:1].isdigit() or w in _NUM_WORDS or w in {"half", "most", "rest", "part"} for w in content)
    if rest[:1] == ["of"] and (portion or content[-1] in {"number", "amount", "count", "volume", "level"}):
        return _is_concrete(rest[1:], names, kind)  # "the number of on-call pages": judge the pages
    if kind == "directional" and head and head[0] == "my" and not any(_METRIC.match(w) for w in content):
        # "improve my Python" or "my Figma skills" is a skill; "clean up my inbox" is not
        return bool(content) and _has_concrete_noun(content[-1:]) and not _ABSTRACT.match(content[-1])
    if content and _ABSTRACT.match(content[-1]) and not any(w in names for w in content):
        return False  # the head noun is a skill or trait: "my testing skills" (but "The Manager's Path")
    if content and all(w in _VAGUE_WORDS or w in _PRONOUNS or w[:1].isdigit() for w in content):
        return False
    metric_only = bool(content) and bool(_METRIC.match(content[-1]))
    if metric_only and kind == "finish" and content[-1] in {"onboarding", "documentation", "training"}:
        return True  # "complete onboarding": a programme with an end
    if _counted(head) or (not metric_only and any(w in names or w in _TOOLS for w in content)):
        return True  # a count, or a named thing ("AWS costs" is still just a metric)
    if determined and not metric_only:
        return True
    if determined and metric_only and head[0] != "a":
        return True  # "our newsletter's engagement", "my average response time"
    if _scoped(rest, names):
        return True
    return bool(content) and not metric_only and _has_concrete_noun(content) and not content[-1].endswith("s") \
        and content[-1] not in _VAGUE_WORDS


def _abstract(words: list[str]) -> bool:
    content = []
    for w in words:
        if w in _PREPS and content:
            break
        if w not in _STOP:
            content.append(w)
    return bool(content) and bool(_ABSTRACT.match(content[-1]))


def _open_ended(words: list[str], names: set[str]) -> bool:
    head = []
    for w in words:
        if w in _PREPS:
            break
        head.append(w)
    content = [w for w in head if w not in _STOP]
    return bool(content) and head[0] not in _DETERMINERS and not _counted(head) \
        and content[-1].endswith("s") and not content[-1].endswith("ss") and content[-1] not in _TOOLS \
        and not any(w in names for w in content)


def _has_concrete_noun(content: list[str]) -> bool:
    return any(w in _TOOLS or _HEAVY_ITEMS.match(w) or _CONCRETE_NOUN.match(w) for w in content)


_CONCRETE_NOUN = re.compile(
    r"(?:doc|document|guide|runbook|playbook|wiki|page|site|website|portfolio|cv|resume|blog|post|"
    r"article|newsletter|deck|slides?|talk|demo|report|dashboard|chart|spreadsheet|model|job|query|"
    r"table|schema|dataset|notebook|endpoint|service|app|feature|screen|flow|form|button|component|"
    r"library|module|package|tool|script|bot|integration|plugin|repo|codebase|monorepo|pr|ticket|"
    r"issue|bug|incident|postmortem|spec|proposal|plan|roadmap|charter|rubric|ladder|checklist|"
    r"template|macro|survey|interview|workshop|session|retro|meeting|offsite|webinar|conference|"
    r"course|class|training|certification|exam|book|chapter|marathon|campaign|experiment|migration|"
    r"upgrade|rollout|audit|mock|mockup|prototype|wireframe|illustration|icon|contract|renewal|"
    r"deal|account|invoice|quote|quota|alert|cache|database|server|cluster|pipeline|test|suite|"
    r"release|changelog|website|video|podcast|manual|faq|policy|budget|forecast|analysis|study|inbox|"
    r"profile|calendar|desk|notes|commit|laptop|setup|environment|project|backlog|board|repo|review|"
    r"call|chat|demo|visit)s?$")


def _counted(words: list[str]) -> bool:
    """A number (digits or words) followed by something it counts."""
    for i, w in enumerate(words[:-1]):
        if (_NUMBER.fullmatch(w) or (w in _NUM_WORDS and w not in {"a", "an"})) \
                and words[i + 1] not in _STOP and words[i + 1] != "⏱":
            return True
    return False


def _scoped(rest: list[str], names: set[str]) -> bool:
    """'... of the billing service', '... on the checkout flow', '... for Project X'."""
    for i, w in enumerate(rest):
        if w in _PREPS and i + 1 < len(rest):
            nxt = rest[i + 1:i + 4]
            if nxt[0] in _DETERMINERS - {"which", "why", "what", "how"} and len(nxt) > 1 \
                    and not all(x in _VAGUE_WORDS or x in _STOP or _ABSTRACT.match(x) for x in nxt[1:]):
                return True
            if any(x in names or x in _TOOLS for x in nxt):
                return True
    return False


_FINISH = _forms("finish complete pass")
_HANDOVER = _forms("deliver submit send hand share publish ship present merge release deploy launch demo") \
    | {"sent", "handed"}
_CADENCE = re.compile(r"\b(?:every|each)\s+(?:day|morning|evening|week|month|sprint|monday|tuesday|wednesday|"
                      r"thursday|friday)\b|\b(?:daily|weekly|fortnightly|monthly)\b|\b(?:once|twice)\s+a\b"
                      r"|\bper\s+(?:day|week|month|sprint)\b")


_SUBJECTS = {"i", "we", "he", "she", "they", "you", "it", "please", "will", "shall", "can", "should",
             "must", "want", "would", "need", "i'll", "we'll", "i'd", "i'm", "also", "finally", "then"}


def _is_modifier(before: str) -> bool:
    """A plain word right before a verb form makes it a noun: 'user interview', 'sprint review'."""
    return bool(before) and before not in _STOP and before not in _BOUNDARY and before not in _SUBJECTS \
        and before != "⏱" and not _verb_kind(before) and not before.endswith("ly") \
        and not _NUMBER.fullmatch(before) and before not in _NUM_WORDS


def _actions(g: _Goal) -> list[_Action]:
    found: list[_Action] = []
    tokens = g.tokens
    for i, token in enumerate(tokens):
        kind = _verb_kind(token)
        if kind is None or token in _PAST_ONLY or token in g.names:
            continue  # a Capitalised word mid-sentence is a name or a title, not a verb
        before = tokens[i - 1] if i else ""
        if before in _DETERMINERS and kind != "skill":
            continue  # "the release", "a review": a noun
        if _is_modifier(before):
            continue  # "system design", "code review", "cold-email": part of a noun
        if token == "speed" and before == "to":
            continue  # "get up to speed"
        if before in {"more", "less", "very", "so", "too", "most", "least"}:
            continue  # "be more present": an adjective
        if token.startswith("mak") and tokens[i + 1:i + 2] == ["sure"]:
            kind = "skill"  # "make sure the release goes well": a wish, not a task
        elif token in {"make", "makes", "making", "made"} and tokens[i + 1:i + 2] == ["progress"]:
            kind = "neutral"  # "make progress on the migration": a concrete object, no end state
        elif token in {"make", "makes", "making", "made"}:
            ahead = tokens[i + 1:i + 8]
            kind = "directional" if any(_COMPARATIVE.match(w) for w in ahead) else "deliver"
        elif token in {"keep", "keeps", "keeping", "kept"} and tokens[i + 1:i + 3] == ["up", "with"]:
            kind = "skill"  # "keep up with AI trends": staying informed, not a task
        elif token in {"find", "finds", "finding", "found"} and tokens[i + 1:i + 2] == ["out"]:
            kind = "neutral"  # "find out why": an investigation, no end state
        elif kind == "deliver" and tokens[i + 1:i + 2] == ["for"]:
            kind = "skill"  # "prepare for the interview": getting ready, not delivering
        start = i + 1
        while start < len(tokens) and tokens[start] in {"up", "out", "off", "over", "down", "through", "progress"}:
            start += 1  # set up, hand off, roll out, close out
        words = _object_after(tokens, start)
        concrete = kind != "skill" and _is_concrete(words, g.names, "finish" if token in _FINISH else kind)
        if not concrete and kind != "skill" and _open_ended(words, g.names) and _CADENCE.search(g.masked) \
                and _has_concrete_noun([w for w in words if w not in _STOP][:3]):
            concrete = True  # "do code reviews every day": a concrete habit
        phrase = " ".join(tokens[i:start] + words).strip()
        found.append(_Action(token, kind, phrase, concrete, words, _open_ended(words, g.names), _abstract(words)))
    return found


# ---------------------------------------------------------------------------------------
# The five checks.

@dataclass
class _Facts:
    g: _Goal
    actions: list[_Action]
    skill_phrase: str | None
    non_goal: bool
    fake_measure: str | None


_LETTERS = re.compile(r"[a-z]{2,}")


def _facts(g: _Goal) -> _Facts:
    actions = _actions(g)
    skill = _SKILL_PHRASES.search(g.low)
    fake = _FAKE_MEASURE.search(g.masked)
    letters = _LETTERS.search(g.low)
    concrete_any = any(a.concrete for a in actions)
    non_goal = not letters or (not actions and not _counted(g.tokens)) \
        or bool(_NON_GOAL.match(g.low) and not concrete_any)
    if actions and all(a.verb in _PAST_ONLY for a in actions):
        non_goal = True
    skill_phrase = " ".join(re.split(r"[,.;:!?(]", g.low[skill.start():])[0].split()[:6]) if skill else None
    return _Facts(g, actions, skill_phrase, non_goal, fake.group() if fake else None)


def _specific(f: _Facts) -> Verdict:
    if not f.g.clean:
        return Verdict(met=False, reason="The goal is empty — what will you do?")
    if f.non_goal:
        return Verdict(met=False, reason="This doesn't read as a goal yet — what will you do, and to what?")
    concrete = next((a for a in f.actions if a.concrete), None)
    if concrete:
        return Verdict(met=True, reason="Names a concrete action on a concrete thing.", evidence=concrete.phrase)
    if _counted(f.g.tokens) and not f.fake_measure and (not f.actions or any(a.kind != "skill" for a in f.actions)):
        return Verdict(met=True, reason="Names a concrete action with a count.", evidence=_count_phrase(f.g.tokens))
    promoted = _PROMOTED.search(f.g.masked)
    if promoted and promoted.group("to"):
        return Verdict(met=True, reason="Names the role to reach.", evidence=promoted.group().strip())
    target = _HIT_TARGET.search(f.g.masked)
    if target:
        return Verdict(met=True, reason="Names the target to hit.", evidence=target.group())
    threshold = _real_threshold(f.g)
    if threshold and any(a.kind in {"directional", "neutral", "deliver"} for a in f.actions):
        return Verdict(met=True, reason="Names what will change and the target.", evidence=threshold)
    skill = next((a for a in f.actions if a.kind == "skill" or a.abstract), None)
    if f.skill_phrase or skill:
        what = f.skill_phrase or (skill.phrase if skill else "")
        return Verdict(met=False, reason=f"“{what}” is a skill or trait, not a task — what concrete thing "
                                         "will you do to show it (e.g. write, ship, present something)?")
    return Verdict(met=False, reason="Too vague — name the concrete task and the thing it's for "
                                     "(which doc, feature, customer, report?).")


def _count_phrase(tokens: list[str]) -> str:
    for i, w in enumerate(tokens[:-1]):
        if (_NUMBER.fullmatch(w) or (w in _NUM_WORDS and w not in {"a", "an"})) and tokens[i + 1] not in _STOP \
                and tokens[i + 1] != "⏱":
            return " ".join(tokens[i:i + 3]).split(" ⏱")[0]
    return ""


def _real_threshold(g: _Goal) -> str | None:
    """A target on a defined metric ('under 200 ms', 'to 80%'), not a fake ('50% better')."""
    text = _FAKE_MEASURE.sub(" ", g.masked)
    for pattern in (_MEASURE_UNIT, _THRESHOLD, _MONEY, _FREQUENCY):
        match = pattern.search(text)
        if match:
            return match.group().strip()
    turnaround = _TURNAROUND.search(g.low)  # "respond within one working day": a service level
    return turnaround.group("limit") if turnaround else None


def _measurable(f: _Facts, specific: bool) -> Verdict:
    if not f.g.clean or f.non_goal:
        return Verdict(met=False, reason="No measure — how many, what threshold, or what does done look like?")
    g = f.g
    threshold = _real_threshold(g)
    if threshold:
        return Verdict(met=True, reason="Has a number or threshold to check against.", evidence=threshold)
    if _counted([t for t in g.tokens]) and not f.fake_measure:
        return Verdict(met=True, reason="Counts something you can check.", evidence=_count_phrase(g.tokens))
    for pattern in (_CERTIFIED, _PROMOTED, _HIT_TARGET, _NEW_JOB):
        match = pattern.search(g.masked)
        if match:
            return Verdict(met=True, reason="Has a clear done event.", evidence=match.group().strip())
    loose = _PRONOUNS - {"everything", "something", "anything", "things", "stuff"}  # "merge it"
    for action in f.actions:
        if action.verb in _TAKE_PART and action.concrete and any(w in _MEETING_NOUNS for w in action.object_words[:4]):
            return Verdict(met=True, reason="Done is clear: the conversation happens.", evidence=action.phrase)
        open_ended = action.open_ended and action.verb not in _HANDOVER  # "deliver mocks" is still an event
        refers_back = specific and action.object_words[:1] != [] and action.object_words[0] in loose
        if action.kind == "deliver" and not open_ended and (action.concrete or refers_back):
            return Verdict(met=True, reason="Done is clear: the thing is delivered.", evidence=action.phrase)
    every = _UNIVERSAL.search(g.masked)
    if every and specific and not f.fake_measure:
        return Verdict(met=True, reason="Covers a defined set, so done is checkable.", evidence=every.group())
    done = _DONE_STATE.search(g.masked)
    if done and specific:
        return Verdict(met=True, reason="Has a clear done state.", evidence=done.group())
    if f.fake_measure:
        return Verdict(met=False, reason=f"“{f.fake_measure}” is not a measure — of what, checked how? "
                                         "Say how many, what threshold, or what done looks like.")
    return Verdict(met=False, reason="No measure — how many, what threshold, or what does done look like?")


def _time_bound(f: _Facts) -> Verdict:
    g = f.g
    if not g.clean:
        return Verdict(met=False, reason="No deadline — when will this be done?")
    chatter = f.non_goal and bool(_NON_GOAL.match(g.low))  # "thanks for today": no goal to bound
    if g.times.evidence and not chatter:
        return Verdict(met=True, reason="Has a deadline or time frame.", evidence=g.times.evidence)
    vague = _VAGUE_TIME.search(g.low)
    if vague and not f.non_goal:
        return Verdict(met=False, reason=f"“{vague.group()}” is not a deadline — by when exactly?")
    return Verdict(met=False, reason="No deadline — when will this be done?")


def _implausible(f: _Facts) -> str | None:
    """Why the text itself makes the goal implausible (scope against time), if it does."""
    days = f.g.times.horizon
    if days is None:
        return None
    huge = _HUGE_SCOPE.search(f.g.masked)
    if huge and days <= 7:
        return f"“{huge.group()}” in that time"
    mastery = _MASTERY.search(f.g.masked)
    if mastery and days <= 31:
        return f"“{mastery.group()}” in that time"
    for pattern in (_BIG_DELIVERABLE, _HUGE_GROWTH):
        big = pattern.search(f.g.masked)
        if big and days <= 7:
            return f"“{big.group()}” in that time"
    tokens = f.g.tokens
    for i, w in enumerate(tokens[:-1]):
        amount = _to_number(w) if (_NUMBER.fullmatch(w) or w in _NUM_WORDS) else None
        if not amount or w in {"a", "an"}:
            continue
        group = []
        for t in tokens[i + 1:i + 4]:
            if t in _STOP or t in _BOUNDARY:
                break
            group.append(t)
        if not group or _MEASURE_UNIT.fullmatch(f"{w}{group[0]}") or any(_METRIC.match(t) for t in group):
            continue
        thing = next((t for t in group if _HEAVY_ITEMS.match(t)), group[-1])
        per_day = amount / max(days, 0.5)
        if per_day > (1 if _HEAVY_ITEMS.match(thing) else 100):
            return f"{w} {thing} in that time"
    return None


def _achievable(f: _Facts, specific: bool, timed: bool) -> Verdict:
    if not f.g.clean:
        return Verdict(met=None, reason="The goal is empty — nothing to judge yet.")
    too_much = _implausible(f)
    if too_much:
        return Verdict(met=False, reason=f"Looks implausible: {too_much} — shrink the scope or move the deadline.",
                       evidence=too_much)
    if specific and timed:
        return Verdict(met=True, reason="A concrete task with a deadline, and nothing in the text says it's too much.")
    return Verdict(met=None, reason="Can't judge yet — name the concrete task and the deadline first.")


# Words that carry no topic ("reduce", "time", "rate") and synonyms that should match.
_GENERIC = set("""
a an the of to for and or in on at by with my our your their new more less better improve improved
increase reduce decrease grow growth raise cut time rate rates number total average avg level
score kpi kpis goal goals target targets metric metrics per percent get make
do work team teams people person own overall key main core general weekly monthly quarterly
yearly annual daily first high low good great best
""".split())
_SYNONYMS = [
    "test tests testing tested qa coverage unit integration e2e quality bug bugs defect defects",
    "latency performance speed fast faster slow load p95 p99 response",
    "customer customers client clients user users account accounts",
    "revenue sales sell selling deal deals arr mrr booking bookings quota win wins won pipeline "
    "opportunity opportunities prospect prospects bookings upsell",
    "doc docs documentation document documents runbook guide wiki readme",
    "hire hiring hired recruit recruiting recruitment candidate candidates headcount",
    "churn churned retention retain renewal renewals renew",
    "support ticket tickets csat helpdesk zendesk escalation escalations",
    "self-service self-serve help center centre knowledge base faq deflection article articles",
    "release releases deploy deploys deployment ship shipping shipped delivery launch",
    "mentor mentoring mentored coach coaching junior juniors",
    "incident incidents on-call oncall outage outages mttr pages reliability uptime sre postmortem "
    "post-mortem postmortems sev sev-1 sev-2 sev1 sev2 p1",
    "cost costs bill billing spend budget savings expense expenses",
    "design-system component components ui-kit figma",
    "accessibility a11y wcag contrast",
    "productivity ci build builds tooling developer dx",
    "cloud aws gcp azure infrastructure infra",
    "certification certified certificate exam",
    "onboarding ramp ramp-up onboard",
    "email emails newsletter outbound cold-email",
    "error errors exception exceptions",
    "conversion conversions convert activation signup signups funnel",
    "meeting meetings booked book call calls",
]
_SYNONYM_OF: dict[str, int] = {}
for _group_id, _group in enumerate(_SYNONYMS):
    for _word in _group.split():
        _SYNONYM_OF.setdefault(_word, _group_id)


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ers", "er", "ies", "es", "ed", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=1024)
def _kpi_topics(kpi: str) -> frozenset[str]:
    return frozenset(_topics(_normalise(kpi)))


def _topics(low: str) -> set[str]:
    words = re.findall(r"[a-z0-9][a-z0-9-]*", low)
    words += [a + "-" + b for a, b in zip(words, words[1:])]  # "design system", "help center"
    topics: set[str] = set()
    for w in words:
        if w in _GENERIC or len(w) < 2:
            continue
        topics.add(_stem(w))
        for part in (w, w.replace("-", ""), _stem(w)):
            if part in _SYNONYM_OF:
                topics.add(f"#syn{_SYNONYM_OF[part]}")
    return topics


def _relevant(f: _Facts, named: list[str]) -> Verdict:
    if not named:
        return Verdict(met=None, reason="No KPIs given — add your KPIs to check how this goal links to them.")
    goal_topics = _topics(f.g.low)
    for kpi in named:
        if goal_topics & _kpi_topics(kpi):
            return Verdict(met=True, reason=f"Links to your KPI “{kpi}”.", evidence=kpi)
    listed = ", ".join(f"“{k}”" for k in named[:5])
    return Verdict(met=False, reason=f"Doesn't obviously link to your KPIs ({listed}) — how does it help them?")


def _segments(tokens: list[str], cuts: set[str]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    skip = 0
    for i, token in enumerate(tokens):
        if skip:
            skip -= 1
            continue
        if token in cuts or (token == "as" and tokens[i + 1:i + 3] == ["well", "as"]):
            parts.append([])
            skip = 2 if token == "as" else 0
        elif token not in _BOUNDARY:
            parts[-1].append(token)
    return parts


def _goal_led(words: list[str], first_word: bool = False) -> bool:
    """A part that reads as its own goal: a verb up front and an object that is not just 'it'."""
    words = words[:5]
    lead = words[:1] if first_word else words[:3]
    return len(words) >= 2 and any(_verb_kind(w) for w in lead) and not (len(words) <= 3 and words[-1] in _PRONOUNS)


def _multiple_goals(g: _Goal) -> bool:
    """Several goals in one line: verb-led parts split by ';', 'also', 'plus', 'as well as', or 3+ by 'and'."""
    strong = _segments(g.tokens, {";", "also", "plus"})
    if sum(_goal_led(part) for part in strong) >= 2:
        return True
    weak = _segments(g.tokens, {";", "also", "plus", "and", ","})
    return sum(_goal_led(part, first_word=True) for part in weak) >= 3


# ---------------------------------------------------------------------------------------
# Public API.

def _kpi_list(kpis: object) -> list[str]:
    """The KPI names given, tolerating a single string, None or any iterable."""
    if isinstance(kpis, str):
        kpis = [kpis]
    try:
        return [k.strip()[:MAX_CHARS] for k in kpis if isinstance(k, str) and k.strip()]  # type: ignore[union-attr]
    except TypeError:
        return []


def _in_their_words(verdict: Verdict, g: _Goal) -> Verdict:
    """Evidence in the person's own casing when the phrase can be found in what they wrote."""
    if not verdict.evidence or len(g.clean) != len(g.low):
        return verdict
    at = g.clean.lower().replace("’", "'").find(verdict.evidence)
    if at < 0:
        return verdict
    return Verdict(met=verdict.met, reason=verdict.reason, evidence=g.clean[at:at + len(verdict.evidence)])


def assess(goal: str, kpis: Sequence[str] = ()) -> SmartAssessment:
    """Judge one goal against SMART from its text alone. Never raises on any string."""
    g = _prepare(goal)
    f = _facts(g)
    specific = _specific(f)
    measurable = _measurable(f, specific.met is True)
    time_bound = _time_bound(f)
    return SmartAssessment(
        specific=_in_their_words(specific, g),
        measurable=_in_their_words(measurable, g),
        achievable=_achievable(f, specific.met is True, time_bound.met is True),
        relevant=_relevant(f, _kpi_list(kpis)),
        time_bound=_in_their_words(time_bound, g),
        multiple_goals=bool(g.clean) and _multiple_goals(g),
    )


PLACEHOLDER_SPECIFIC = "[what exactly: the task and the thing it's for]"
PLACEHOLDER_MEASURABLE = "[how many / what done looks like]"
PLACEHOLDER_TIME = "[by <date>]"
PLACEHOLDER_SCOPE = "[smaller scope or a later date]"
_VAGUE_TIME_ANY_CASE = re.compile(_VAGUE_TIME.pattern, re.I)


def rewrite(goal: str, kpis: Sequence[str] = ()) -> str:
    """The goal in the person's own words plus a marked placeholder for each missing part.

    Never invents facts, numbers or dates: what is missing is left for the person to fill.
    An already-SMART goal comes back unchanged (whitespace aside).
    """
    kpis = _kpi_list(kpis)
    result = assess(goal, kpis)
    text = _clean(goal)
    if result.time_bound.met is not True:
        text = _VAGUE_TIME_ANY_CASE.sub("", text)  # "soon" gives way to the date placeholder
        text = _SPACE.sub(" ", text)
    text = text.strip().rstrip(".!;,").strip()
    additions = []
    if result.specific.met is not True:
        additions.append(PLACEHOLDER_SPECIFIC)
    if result.measurable.met is not True:
        additions.append(PLACEHOLDER_MEASURABLE)
    if result.time_bound.met is not True:
        additions.append(PLACEHOLDER_TIME)
    if result.achievable.met is False:
        additions.append(PLACEHOLDER_SCOPE)
    if result.relevant.met is False:
        additions.append(f"[links to KPI: {kpis[0]}]")
    if not additions:
        return _clean(goal)
    return " ".join([text, *additions]).strip()
