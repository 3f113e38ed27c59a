"""Confusion-matrix metrics, AUC, F-scores and IoU against hand-worked values."""

import math

import numpy as np
import pytest

from lamina import metrics


def result(m):
    return m.result().numpy()


def test_precision_and_recall():
    p = metrics.Precision()
    p.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert result(p) == pytest.approx(2 / 3)
    p.reset_state()
    p.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert result(p) == 1.0
    r = metrics.Recall()
    r.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert result(r) == pytest.approx(2 / 3)
    assert (p.name, r.name) == ("precision", "recall")


def test_precision_thresholds_top_k_and_class_id():
    p = metrics.Precision(thresholds=[0.3, 0.7])
    p.update_state([0, 1, 1, 0], [0.5, 0.8, 0.4, 0.2])
    np.testing.assert_allclose(result(p), [2 / 3, 1.0])
    top = metrics.Precision(top_k=2)
    top.update_state([[0, 0, 1, 1]], [[0.1, 0.9, 0.8, 0.05]])
    assert result(top) == 0.5
    cls = metrics.Recall(class_id=1)
    cls.update_state([[0, 1], [0, 1], [1, 0]], [[0.2, 0.8], [0.7, 0.3], [0.1, 0.9]])
    assert result(cls) == 0.5


def test_confusion_counts():
    y_true, y_pred = [0, 1, 1, 0, 1], [0.9, 0.8, 0.1, 0.2, 0.6]
    counts = {}
    for cls in (
        metrics.TruePositives,
        metrics.FalsePositives,
        metrics.TrueNegatives,
        metrics.FalseNegatives,
    ):
        m = cls()
        m.update_state(y_true, y_pred, sample_weight=[1, 2, 3, 4, 5])
        counts[cls.__name__] = float(result(m))
    assert counts == {
        "TruePositives": 7.0,
        "FalsePositives": 1.0,
        "TrueNegatives": 4.0,
        "FalseNegatives": 3.0,
    }
    many = metrics.TruePositives(thresholds=[0.0, 0.5, 0.85])
    many.update_state(y_true, y_pred)
    np.testing.assert_array_equal(result(many), [3, 2, 0])


def rank_auc(labels, scores):
    """Exact ROC AUC: the chance a random positive outscores a random negative."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    return ((pos[:, None] > neg[None]).sum() + 0.5 * (pos[:, None] == neg[None]).sum()) / (
        len(pos) * len(neg)
    )


def test_auc_roc_hand_values_and_summations():
    y_true, y_pred = [0, 0, 1, 1], [0, 0.5, 0.3, 0.9]
    for method, expected in (("interpolation", 0.75), ("minoring", 0.5), ("majoring", 1.0)):
        m = metrics.AUC(num_thresholds=3, summation_method=method)
        m.update_state(y_true, y_pred)
        assert float(result(m)) == pytest.approx(expected)


def test_auc_roc_matches_rank_statistic():
    rng = np.random.default_rng(0)
    labels = (rng.random(2000) < 0.4).astype(int)
    scores = np.clip(0.3 * labels + rng.random(2000) * 0.7, 0, 1)
    m = metrics.AUC(num_thresholds=1000)
    for i in range(0, 2000, 500):  # accumulated over batches
        m.update_state(labels[i : i + 500], scores[i : i + 500])
    assert float(result(m)) == pytest.approx(rank_auc(labels, scores), abs=2e-3)


def test_auc_pr():
    perfect = metrics.AUC(num_thresholds=3, curve="PR")
    perfect.update_state([1, 0], [0.9, 0.1])
    assert float(result(perfect)) == pytest.approx(1.0)
    rng = np.random.default_rng(1)
    labels = (rng.random(5000) < 0.3).astype(int)
    m = metrics.AUC(curve="PR")
    m.update_state(labels, rng.random(5000))
    assert float(result(m)) == pytest.approx(0.3, abs=0.03)  # a random ranking: the prevalence


def test_auc_multi_label_logits_and_weights():
    y_true = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    y_pred = np.array([[0.9, 0.4], [0.2, 0.6], [0.7, 0.3], [0.1, 0.8]])
    per_label = []
    for c in range(2):
        m = metrics.AUC(num_thresholds=101)
        m.update_state(y_true[:, c], y_pred[:, c])
        per_label.append(float(result(m)))
    multi = metrics.AUC(num_thresholds=101, multi_label=True)
    multi.update_state(y_true, y_pred)
    assert float(result(multi)) == pytest.approx(np.mean(per_label))
    weighted = metrics.AUC(num_thresholds=101, multi_label=True, label_weights=[3, 1])
    weighted.update_state(y_true, y_pred)
    assert float(result(weighted)) == pytest.approx((3 * per_label[0] + per_label[1]) / 4)
    logits = metrics.AUC(num_thresholds=101, from_logits=True)
    logits.update_state(y_true[:, 0], np.log(y_pred[:, 0] / (1 - y_pred[:, 0])))
    assert float(result(logits)) == pytest.approx(per_label[0])


def test_auc_arguments():
    with pytest.raises(ValueError, match="num_thresholds=1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve='XY'"):
        metrics.AUC(curve="XY")
    m = metrics.AUC(thresholds=[0.5])
    assert m.num_thresholds == 3
    assert metrics.AUC().name == "auc"


Y_TRUE = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]])
Y_PRED = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])


def test_f1_per_class():
    m = metrics.F1Score(threshold=0.5)
    m.update_state(Y_TRUE, Y_PRED)
    np.testing.assert_allclose(result(m), [0.5, 0.8, 2 / 3], rtol=1e-5)


def test_fbeta_averages():
    m = metrics.FBetaScore(beta=2.0, threshold=0.5)
    m.update_state(Y_TRUE, Y_PRED)
    per_class = [5 / 13, 10 / 11, 5 / 6]
    np.testing.assert_allclose(result(m), per_class, rtol=1e-5)
    macro = metrics.FBetaScore(beta=2.0, threshold=0.5, average="macro")
    macro.update_state(Y_TRUE, Y_PRED)
    assert float(result(macro)) == pytest.approx(np.mean(per_class), rel=1e-5)
    weighted = metrics.FBetaScore(beta=2.0, threshold=0.5, average="weighted")
    weighted.update_state(Y_TRUE, Y_PRED)
    support = Y_TRUE.sum(0)
    assert float(result(weighted)) == pytest.approx(
        (np.array(per_class) * support).sum() / support.sum(), rel=1e-5
    )
    micro = metrics.FBetaScore(beta=2.0, threshold=0.5, average="micro")
    micro.update_state(Y_TRUE, Y_PRED)
    tp, fp, fn = 4, 2, 2  # pooled over the classes
    p, r = tp / (tp + fp), tp / (tp + fn)
    assert float(result(micro)) == pytest.approx(5 * p * r / (4 * p + r), rel=1e-5)


def test_f1_argmax_mode_and_sample_weight():
    m = metrics.F1Score(average="micro")
    m.update_state([[1, 0], [0, 1]], [[0.6, 0.4], [0.7, 0.3]], sample_weight=[1.0, 3.0])
    # Predictions: class 0 twice; tp 1, fp 3, fn 3 (weighted)
    assert float(result(m)) == pytest.approx(0.25, rel=1e-5)


def test_fbeta_arguments():
    with pytest.raises(ValueError, match="average='mean'"):
        metrics.FBetaScore(average="mean")
    with pytest.raises(ValueError, match="beta=0"):
        metrics.FBetaScore(beta=0)
    with pytest.raises(ValueError, match="threshold=2"):
        metrics.F1Score(threshold=2)


def test_mean_iou():
    m = metrics.MeanIoU(num_classes=2)
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    assert float(result(m)) == pytest.approx(1 / 3)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    assert float(result(m)) == pytest.approx((0.3 / 0.9 + 0.1 / 0.7) / 2)


def test_iou_variants():
    m = metrics.IoU(num_classes=3, target_class_ids=[0, 2])
    m.update_state([[0, 1], [2, 2]], [[0, 0], [2, 1]])
    # class 0: tp 1 / (2 predicted + 1 true - 1); class 2: tp 1 / (1 + 2 - 1)
    assert float(result(m)) == pytest.approx((0.5 + 0.5) / 2)
    ignore = metrics.MeanIoU(num_classes=2, ignore_class=1)
    ignore.update_state([0, 1, 0], [0, 0, 1])
    assert float(result(ignore)) == pytest.approx(0.5 / 2)  # class 1 has 1 prediction, no tp
    binary = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    binary.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    assert float(result(binary)) == pytest.approx(1 / 3)
    one_hot = metrics.OneHotMeanIoU(num_classes=3)
    one_hot.update_state(np.eye(3)[[0, 1, 2, 2]], np.eye(3)[[0, 1, 2, 0]] * 0.9)
    assert float(result(one_hot)) == pytest.approx((0.5 + 1 + 0.5) / 3)
    with pytest.raises(ValueError, match="target_class_ids"):
        metrics.IoU(num_classes=2, target_class_ids=[2])


@pytest.mark.parametrize(
    "metric",
    [
        metrics.Precision(thresholds=[0.2, 0.6], class_id=1),
        metrics.Recall(top_k=2),
        metrics.TruePositives(thresholds=0.3),
        metrics.AUC(curve="PR", num_thresholds=50),
        metrics.AUC(multi_label=True, label_weights=[1.0, 2.0]),
        metrics.F1Score(average="macro", threshold=0.4),
        metrics.FBetaScore(beta=0.5),
        metrics.MeanIoU(num_classes=4, ignore_class=0),
        metrics.IoU(3, [1]),
        metrics.BinaryIoU(threshold=0.4),
        metrics.OneHotIoU(3, [0, 2]),
    ],
)
def test_config_round_trip(metric):
    again = metrics.deserialize(metrics.serialize(metric))
    assert type(again) is type(metric)
    assert again.get_config() == metric.get_config()


def test_state_round_trip_for_array_state():
    m = metrics.AUC(num_thresholds=11)
    m.update_state([0, 1, 1], [0.2, 0.9, 0.4])
    other = metrics.AUC(num_thresholds=11)
    other.set_state(m.get_state())
    assert float(result(other)) == float(result(m))
    assert not math.isnan(float(result(other)))
