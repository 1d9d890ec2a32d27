"""The statistical intent model: TF-IDF over word 1-2-grams and character 2-4-grams, with a multinomial logistic
regression, fitted by scikit-learn from the shipped utterances at start-up (no pickles). Scoring a query
does not go through scikit-learn: the fitted vocabulary, idf and weights are read out once and applied
directly, which keeps one query in the tens of microseconds.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression


@dataclass(frozen=True)
class _Features:
    """One fitted vectorizer, reduced to what scoring needs."""

    analyzer: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    idf: NDArray[np.float64]
    offset: int

    def indices(self, text: str) -> tuple[list[int], list[float]]:
        counts = Counter(term for term in self.analyzer(text) if term in self.vocabulary)
        columns = [self.vocabulary[term] for term in counts]
        # sublinear tf, times idf, then l2 over this block: what TfidfVectorizer(sublinear_tf=True) computes.
        values = [(1.0 + math.log(count)) * float(self.idf[column]) for column, count in zip(
            columns, counts.values(), strict=True)]
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        return [self.offset + c for c in columns], [v / norm for v in values]


def _vectorizers() -> list[TfidfVectorizer]:
    return [
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"[^\s]+",
                        lowercase=False),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, lowercase=False, min_df=2),
    ]


class IntentClassifier:
    """Ranks labels for a (masked, normalized) text; labels are strings so the out-of-scope class fits in."""

    def __init__(self, labels: Sequence[str], blocks: Sequence[_Features], weights: NDArray[np.float64],
                 bias: NDArray[np.float64]) -> None:
        self.labels = tuple(labels)
        self._blocks = tuple(blocks)
        self._weights = weights
        self._bias = bias

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str], c: float = 20.0) -> IntentClassifier:
        vectorizers = _vectorizers()
        matrices = [v.fit_transform(texts) for v in vectorizers]
        from scipy.sparse import hstack

        # saga with a loose tolerance fits this data in about a tenth of a second; lbfgs or a tight tolerance
        # take several times longer for the same cross-validated accuracy on the training set.
        model = LogisticRegression(C=c, solver="saga", tol=1e-2, max_iter=2000, random_state=0)
        model.fit(hstack(matrices).tocsr(), list(labels))
        blocks: list[_Features] = []
        offset = 0
        for vectorizer, matrix in zip(vectorizers, matrices, strict=True):
            blocks.append(_Features(vectorizer.build_analyzer(), dict(vectorizer.vocabulary_),
                                    np.asarray(vectorizer.idf_, dtype=np.float64), offset))
            offset += matrix.shape[1]
        return cls([str(label) for label in model.classes_], blocks, np.asarray(model.coef_, dtype=np.float64),
                   np.asarray(model.intercept_, dtype=np.float64))

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Every label with its probability, best first."""
        columns: list[int] = []
        values: list[float] = []
        for block in self._blocks:
            block_columns, block_values = block.indices(text)
            columns += block_columns
            values += block_values
        scores = self._bias + (self._weights[:, columns] @ np.asarray(values) if columns else 0.0)
        exp = np.exp(scores - scores.max())
        probabilities = exp / exp.sum()
        order = np.argsort(-probabilities)
        return [(self.labels[i], float(probabilities[i])) for i in order]
