"""The text classifier behind the suggestion: one linear model per target (kind, category, problem
type, referral), trained from the shipped labelled set when first needed. Pure (no Flask).

Features: TF-IDF of the character 1-3-grams of the normalised text, beside a lexicon count per
(target, value): the shipped default word lists (data/default_rules.json) and extra vocabulary
(data/lexicon.json), so a product or agency word the labelled set never used still counts.
Model: a LinearSVC per target on the `train` split (the referral's with its own C and lexicon
scale, HEAD_C and HEAD_LEXICON_SCALE). Its scores become confidences by a softmax
whose temperature is fitted on the `dev` split (one number per target). "No value" (no category,
in scope) is a class of its own, `NONE`.

Training reads the jsonl and takes a few seconds, so the model is built once per process and
kept (`get()`); nothing is pickled or written. docs/SUGGESTIONS.md has the figures.
"""

import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from intake.keywords import TARGETS, Rule, default_rules, keyword_list, normalise

DATA = Path(__file__).parent / "data"
CASES_PATH = DATA / "labelled_cases.jsonl"
LEXICON_PATH = DATA / "lexicon.json"
FIELDS = {"kind": "kind", "category": "category", "problem": "problem_type", "referral": "referral"}
NONE = "-"
LEXICON_WEIGHT = 0.5  # chosen on the dev split (0.25 to 1 change little)
C = 1.0
# Per-target settings, chosen on the dev split. The referral model sees the word-list counts at a
# fifth of their scale: an agency's words ("银行", "医院", "话费") also occur in consumers' own
# disputes, and at full scale they outvoted the n-grams that tell a purchase from a case for another
# agency. It is also regularised less (C 10): its classes are many and its texts open-ended.
HEAD_C = {"referral": 10.0}
HEAD_LEXICON_SCALE = {"referral": 0.2}  # times LEXICON_WEIGHT, for that target's model only
# The best agency needs this confidence, and more than "in scope", before the caller is sent
# elsewhere: a wrong referral loses a consumer, so the model must be fairly sure (dev split: 0.35 to
# 0.5 send the same in-scope texts away; 0.6 keeps more out-of-scope texts).
REFER_MIN = 0.4
DEFAULT_TEMPERATURE = 5.0  # used when there is no dev split to fit it on
REASON_WORDS = 3
MAX_PUSHES = 24  # the strongest features read for a reason; the rest barely move it
HOT = 0.3  # a character is "hot" with at least this share of the hottest one's push


@dataclass(frozen=True)
class Ranked:
    """A target's classes, best first, with their confidences (0..1, summing to 1)."""

    values: tuple[str, ...]
    scores: tuple[float, ...]

    def score_of(self, value):
        return self.scores[self.values.index(value)] if value in self.values else 0.0


def load_cases(path=CASES_PATH):
    """The labelled rows, one JSON object a line."""
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


class Lexicon:
    """Counts, per (target, value), the distinct listed words found in a text.

    Words are found as the keyword method finds them: left to right, longest first, so a shielding
    word of weight 0 ("手机号") hides the shorter one inside it and counts for nothing.
    """

    def __init__(self, rules):
        owners = {}
        for rule in rules:
            if not getattr(rule, "active", True) or str(rule.target) not in TARGETS:
                continue
            column = (str(rule.target), str(rule.value)) if rule.weight else None
            for word in keyword_list(rule.keywords):
                owners.setdefault(word, set())
                if column:
                    owners[word].add(column)
        self.columns = sorted({c for cols in owners.values() for c in cols})
        index = {c: i for i, c in enumerate(self.columns)}
        self.owners = {word: [index[c] for c in sorted(cols)] for word, cols in owners.items()}
        words = sorted(owners, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(w) for w in words)) if words else None

    def found(self, norm):
        """(start, word) of every listed word in the normalised text, left to right."""
        if self.pattern is None:
            return []
        return [(m.start(), m.group()) for m in self.pattern.finditer(norm)]

    def features(self, norms):
        rows, cols = [], []
        for i, norm in enumerate(norms):
            seen = set()
            for _start, word in self.found(norm):
                if word in seen:
                    continue
                seen.add(word)
                for col in self.owners[word]:
                    rows.append(i)
                    cols.append(col)
        counts = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                                   shape=(len(norms), len(self.columns)))
        counts.sum_duplicates()
        counts.data = np.log1p(counts.data) * LEXICON_WEIGHT
        return counts


def shipped_lexicon():
    """The default rules' word lists plus data/lexicon.json, as rules of weight 1."""
    extra = json.loads(LEXICON_PATH.read_text(encoding="utf-8"))["words"]
    return default_rules() + [Rule(e["target"], str(e["value"]), "\n".join(e["keywords"])) for e in extra]


class Model:
    """The four trained classifiers and what they need to explain themselves."""

    def __init__(self, vectorizer, lexicon, heads, seconds, counts):
        self.lexicon = lexicon
        self.heads = heads  # target -> (classes, coef (n_classes x n_features), intercept, temperature)
        self.vocabulary = vectorizer.vocabulary_
        self.idf = vectorizer.idf_
        self.ngrams = vectorizer.get_feature_names_out()
        self.n_ngrams = len(self.ngrams)
        self.seconds = seconds
        self.counts = counts  # rows used: {"train": n, "dev": n}

    def vector(self, text):
        """The features of one text as (indices, values): what TfidfVectorizer.transform gives
        followed by the lexicon counts, computed directly (sklearn's per-call checks cost
        milliseconds a text)."""
        norm = normalise(text)
        counts = {}
        for size in (1, 2, 3):
            for i in range(len(norm) - size + 1):
                j = self.vocabulary.get(norm[i:i + size])
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
        idx = np.fromiter(counts, dtype=np.int64, count=len(counts))
        values = (1 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self.idf[idx]
        length = np.sqrt((values ** 2).sum())
        if length:
            values /= length
        found = self.lexicon.found(norm)
        columns = {}
        for word in dict.fromkeys(word for _start, word in found):
            for col in self.lexicon.owners[word]:
                columns[col] = columns.get(col, 0) + 1
        lex_idx = np.fromiter((self.n_ngrams + c for c in columns), dtype=np.int64, count=len(columns))
        lex_values = np.log1p(np.fromiter(columns.values(), dtype=np.float64, count=len(columns))) * LEXICON_WEIGHT
        return Vector(norm, np.concatenate([idx, lex_idx]), np.concatenate([values, lex_values]), found)

    def rank(self, text, vector=None):
        """target -> Ranked for one text."""
        vector = vector or self.vector(text)
        return {target: self._rank(vector, target) for target in TARGETS}

    def _rank(self, vector, target):
        classes, coef, intercept, temperature = self.heads[target]
        scores = coef[:, vector.indices] @ vector.values + intercept
        probs = _softmax(scores * temperature)
        order = np.argsort(-probs)
        return Ranked(tuple(classes[i] for i in order), tuple(float(probs[i]) for i in order))

    def explain(self, text, target, value, limit=REASON_WORDS, vector=None):
        """The words of `text` that most pushed `target` towards `value`, strongest first.

        Each n-gram's push (TF-IDF value times the class's weight) is spread over the characters it
        covers; listed words found in the text are read as words, the rest as runs of hot
        characters, so the reason shows "话费, 增值业务" rather than scattered n-grams.
        """
        classes, coef, _intercept, _t = self.heads[target]
        if value not in classes:
            return ()
        vector = vector or self.vector(text)
        norm = vector.norm
        pushes = vector.values * coef[classes.index(value)][vector.indices]
        heat = np.zeros(len(norm))
        own = {}  # listed word -> its own lexicon push for this class
        for k in np.argsort(-pushes)[:MAX_PUSHES]:
            j, push = int(vector.indices[k]), float(pushes[k])
            if push <= 0:
                break
            if j < self.n_ngrams:
                _spread(heat, norm, self.ngrams[j], push)
            else:
                column = j - self.n_ngrams
                for _start, word in vector.found:
                    if column in self.lexicon.owners[word]:
                        own[word] = own.get(word, 0.0) + push
        return _reasons(norm, heat, vector.found, own, limit)


@dataclass(frozen=True)
class Vector:
    norm: str
    indices: np.ndarray
    values: np.ndarray
    found: list  # (start, word) of the lexicon's words in `norm`


def _spread(heat, norm, gram, push):
    start = norm.find(gram)
    while start != -1:
        heat[start:start + len(gram)] += push / len(gram)
        start = norm.find(gram, start + 1)


def _reasons(norm, heat, found, own, limit):
    """Listed words and runs of hot characters, ranked by the push they carry."""
    heat = heat * np.array([ch.isalnum() for ch in norm], dtype=float)  # punctuation is never a reason
    top = heat.max() if len(heat) else 0.0
    candidates = {}
    covered = np.zeros(len(norm), dtype=bool)
    for start, word in found:
        weight = float(heat[start:start + len(word)].sum()) + own.get(word, 0.0)
        covered[start:start + len(word)] = True
        if weight > 0 and (own.get(word) or heat[start:start + len(word)].max() >= top * HOT):
            candidates[word] = max(candidates.get(word, 0.0), weight)
    hot = (heat >= top * HOT) & ~covered if top > 0 else np.zeros(len(norm), dtype=bool)
    start = None
    for i, flag in enumerate([*hot, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start >= 2:
                best = max(range(start, i - 1), key=lambda a: heat[a:a + 2].sum())  # centre on the hottest pair
                lo, hi = max(start, best - 1), min(i, best + 3)
                word = _readable(norm[lo:hi])
                if word:
                    candidates[word] = max(candidates.get(word, 0.0), float(heat[lo:hi].sum()))
            start = None
    ranked = sorted(candidates.items(), key=lambda item: -item[1])
    return tuple(word for word, _weight in ranked[:limit])


# Characters that carry no meaning alone at the edge of a hot run ("次了" is 次, "我10" is noise).
_EDGE_WORDS = "了的我你他她它们是在就都也还又吗呢吧啊着过地得和与"


def _readable(run):
    """A hot run as an operator reads a reason: one script (Chinese, or Latin letters and digits),
    function characters trimmed from its edges, at least two characters left; else None."""
    word = run.strip(_EDGE_WORDS)
    cjk = all("\u4e00" <= ch <= "\u9fff" for ch in word)
    latin = word.isascii() and word.isalnum() and not word.isdigit()
    return word if len(word) >= 2 and (cjk or latin) else None


def _softmax(z):
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()


def _temperature(scores, labels):
    """The softmax temperature that best fits the dev split's labels (negative log-likelihood)."""
    if not len(labels):
        return DEFAULT_TEMPERATURE

    def nll(t):
        z = scores * t
        z = z - z.max(axis=1, keepdims=True)
        log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -log_probs[np.arange(len(labels)), labels].mean()

    return float(minimize_scalar(nll, bounds=(0.1, 100.0), method="bounded").x)


def _column_scale(n_columns, n_ngrams, scale):
    """A diagonal matrix that multiplies the lexicon columns (after the n-grams) by `scale`."""
    diagonal = np.ones(n_columns, dtype=np.float32)
    diagonal[n_ngrams:] = scale
    return sparse.diags(diagonal, format="csr")


def label(row, target):
    return row[FIELDS[target]] or NONE


def train(cases=None, lexicon_rules=None):
    """Fit the four classifiers on the train split and their temperatures on the dev split."""
    started = time.perf_counter()
    cases = load_cases() if cases is None else cases
    train_rows = [c for c in cases if c["split"] == "train"]
    dev_rows = [c for c in cases if c["split"] == "dev"]
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, lowercase=False,
                                 dtype=np.float32)
    lexicon = Lexicon(shipped_lexicon() if lexicon_rules is None else lexicon_rules)
    norms = [normalise(c["text"]) for c in train_rows]
    x_train = sparse.hstack([vectorizer.fit_transform(norms), lexicon.features(norms)]).tocsr()
    n_ngrams = len(vectorizer.vocabulary_)
    dev_norms = [normalise(c["text"]) for c in dev_rows]
    x_dev = (sparse.hstack([vectorizer.transform(dev_norms), lexicon.features(dev_norms)]).tocsr()
             if dev_rows else None)
    heads = {}
    for target in TARGETS:
        labels = [label(c, target) for c in train_rows]
        if len(set(labels)) < 2:  # one value only (a tiny set): always that value
            heads[target] = ([labels[0]] if labels else [NONE], np.zeros((1, x_train.shape[1]), np.float32),
                             np.zeros(1), DEFAULT_TEMPERATURE)
            continue
        scale = HEAD_LEXICON_SCALE.get(target, 1.0)
        x_head = x_train if scale == 1.0 else x_train @ _column_scale(x_train.shape[1], n_ngrams, scale)
        svm = LinearSVC(C=HEAD_C.get(target, C), random_state=0).fit(x_head, labels)
        classes = [str(c) for c in svm.classes_]
        coef, intercept = svm.coef_.copy(), svm.intercept_
        coef[:, n_ngrams:] *= scale  # so the shared vector (lexicon at LEXICON_WEIGHT) scores as trained
        if len(classes) == 2:  # a binary SVM keeps one row: the second class's side
            coef, intercept = np.vstack([-coef[0], coef[0]]), np.array([-intercept[0], intercept[0]])
        temperature = DEFAULT_TEMPERATURE
        if x_dev is not None:
            known = [i for i, c in enumerate(dev_rows) if label(c, target) in classes]
            scores = np.asarray(x_dev[known] @ coef.T) + intercept
            temperature = _temperature(scores, np.array([classes.index(label(dev_rows[i], target))
                                                         for i in known]))
        heads[target] = (classes, np.asarray(coef, dtype=np.float32), intercept, temperature)
    return Model(vectorizer, lexicon, heads, time.perf_counter() - started,
                 {"train": len(train_rows), "dev": len(dev_rows)})


_model = None
_lock = threading.Lock()


def get():
    """The model of this process, trained on first use (callers wait for it)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = train()
    return _model


def warm_up():
    """Train in the background so the first suggestion does not wait for it."""
    threading.Thread(target=get, name="suggest-warm-up", daemon=True).start()
