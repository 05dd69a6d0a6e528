"""Grouping speaker embeddings: agglomerative clustering on cosine distance (numpy, scipy).

Average-linkage clustering of the windows' embeddings, cut into ``k`` clusters, which then
settle by reassigning each window to its nearest centroid. Clusters too small to be a speaker
(a cough, a laugh, a window across a turn change) join their nearest neighbour. With an exact
count, the tree is cut finer until ``k`` clusters remain after that. Otherwise every ``k``
within the bounds is tried and the best mean silhouette wins; below ``MIN_SILHOUETTE`` there
is one voice. (A fixed distance threshold did worse: GE2E's 1.6 s windows of one voice and of
two similar voices overlap in distance, but one voice never forms well-separated groups.)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from reactor.diarization.base import FloatArray, SpeakerBounds

# Tuned on the espeak-ng voices and real speech of the tests: one voice scores up to ~0.15,
# two or three distinct voices 0.4-0.55.
MIN_SILHOUETTE = 0.25
MIN_CLUSTER_SHARE = 0.05
MIN_CLUSTER_WINDOWS = 3  # fewer windows than this (about 2.5 s of speech) is not a speaker
MAX_AUTOMATIC = 10
# Linkage and silhouettes hold windows x windows distances: beyond this many windows (about an
# hour of speech at a 0.8 s hop) a strided sample is clustered and the rest join its centroids.
MAX_CLUSTERED = 4000
REFINE_ROUNDS = 3
EXACT_EXTRA_CUTS = 4

Labels = npt.NDArray[np.intp]


def cluster(
    embeddings: FloatArray, bounds: SpeakerBounds, *, max_clustered: int = MAX_CLUSTERED
) -> Labels:
    """A cluster label (0-based) per embedding row."""
    count = len(embeddings)
    if count <= 1 or bounds.high == 1:
        return np.zeros(count, dtype=np.intp)
    normed = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    if count <= max_clustered:
        return _cluster_all(normed, bounds)
    sample = normed[:: -(-count // max_clustered)]
    present, centres = _centroids(sample, _cluster_all(sample, bounds))
    return _refine(normed, present[np.argmax(normed @ centres.T, axis=1)])


def _cluster_all(normed: FloatArray, bounds: SpeakerBounds) -> Labels:
    from scipy.cluster.hierarchy import fcluster, linkage

    count = len(normed)
    tree = linkage(normed, method="average", metric="cosine")

    def cut(k: int) -> Labels:
        labels = fcluster(tree, t=min(k, count), criterion="maxclust")
        return _refine(normed, np.asarray(labels, dtype=np.intp) - 1)

    if bounds.exact is not None:
        # An outlier window (a cough, a turn change) can take one of the k clusters of a plain
        # cut: cut finer until k clusters remain once such tiny clusters are absorbed.
        for extra in range(EXACT_EXTRA_CUTS + 1):
            labels = _absorb_small(normed, cut(bounds.exact + extra), minimum=1)
            if len(np.unique(labels)) == min(bounds.exact, count):
                return _refine(normed, labels)
        return cut(bounds.exact)
    best, best_score = np.zeros(count, dtype=np.intp), -1.0
    distance = 1.0 - normed @ normed.T
    for k in range(max(2, bounds.low), min(bounds.high, count, MAX_AUTOMATIC) + 1):
        labels = _absorb_small(normed, cut(k), minimum=bounds.low)
        score = silhouette(distance, labels)
        if score > best_score:
            best, best_score = labels, score
    if best_score < MIN_SILHOUETTE and bounds.low <= 1:
        return np.zeros(count, dtype=np.intp)
    return best


def silhouette(distance: FloatArray, labels: Labels) -> float:
    """Mean silhouette over a pairwise distance matrix; 0 for a single cluster."""
    present = np.unique(labels)
    if len(present) < 2:
        return 0.0
    members = (labels[:, None] == present[None, :]).astype(np.float32)
    sizes = members.sum(axis=0)
    totals = distance @ members  # (windows, clusters): summed distance to each cluster
    own = np.searchsorted(present, labels)
    own_size = sizes[own] - 1
    inside = np.where(
        own_size > 0, totals[np.arange(len(labels)), own] / np.maximum(own_size, 1), 0
    )
    means = totals / sizes[None, :]
    means[np.arange(len(labels)), own] = np.inf
    nearest = means.min(axis=1)
    scores = np.where(
        own_size > 0, (nearest - inside) / np.maximum(np.maximum(inside, nearest), 1e-12), 0
    )
    return float(scores.mean())


def _centroids(normed: FloatArray, labels: Labels) -> tuple[Labels, FloatArray]:
    present = np.unique(labels)
    centres = np.stack([normed[labels == label].mean(axis=0) for label in present])
    centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    return present, centres


def _refine(normed: FloatArray, labels: Labels) -> Labels:
    """Nearest-centroid reassignment (a few k-means steps on the sphere)."""
    for _ in range(REFINE_ROUNDS):
        present, centres = _centroids(normed, labels)
        updated = present[np.argmax(normed @ centres.T, axis=1)]
        if np.array_equal(updated, labels):
            break
        labels = updated
    return labels


def _absorb_small(normed: FloatArray, labels: Labels, *, minimum: int) -> Labels:
    """Clusters too small to be a speaker join the cluster whose centroid is nearest."""
    least = max(MIN_CLUSTER_WINDOWS, MIN_CLUSTER_SHARE * len(labels))
    while True:
        present, sizes = np.unique(labels, return_counts=True)
        smallest = int(np.argmin(sizes))
        if len(present) <= max(1, minimum) or sizes[smallest] >= least:
            return labels
        _, centres = _centroids(normed, labels)
        similarity = centres @ centres[smallest]
        similarity[smallest] = -np.inf
        labels = labels.copy()
        labels[labels == present[smallest]] = present[int(np.argmax(similarity))]
