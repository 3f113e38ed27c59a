"""Rate-at-rate metrics, R2Score and the correlation metrics against hand-worked values."""

import numpy as np
import pytest

from lamina import metrics

# Three negatives scored 0.1, 0.4, 0.6 and three positives scored 0.35, 0.8, 0.9. Over the
# thresholds t (positive when score > t):
#   t in [0.1, 0.35): tp 3, fp 2  ->  recall 1,   specificity 1/3, precision 3/5
#   t in [0.35, 0.4): tp 2, fp 2  ->  recall 2/3, specificity 1/3, precision 1/2
#   t in [0.4, 0.6):  tp 2, fp 1  ->  recall 2/3, specificity 2/3, precision 2/3
#   t in [0.6, 0.8):  tp 2, fp 0  ->  recall 2/3, specificity 1,   precision 1
#   t in [0.8, 0.9):  tp 1, fp 0  ->  recall 1/3, specificity 1,   precision 1
Y_TRUE = [0, 0, 0, 1, 1, 1]
Y_PRED = [0.1, 0.4, 0.6, 0.35, 0.8, 0.9]


def value(metric, y_true=Y_TRUE, y_pred=Y_PRED, **kwargs):
    metric.update_state(y_true, y_pred, **kwargs)
    return float(metric.result())


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        (metrics.SensitivityAtSpecificity(0.3), 1.0),
        (metrics.SensitivityAtSpecificity(0.6), 2 / 3),
        (metrics.SensitivityAtSpecificity(1.0), 2 / 3),
        (metrics.SpecificityAtSensitivity(1.0), 1 / 3),
        (metrics.SpecificityAtSensitivity(0.6), 1.0),
        (metrics.PrecisionAtRecall(1.0), 0.6),
        (metrics.PrecisionAtRecall(0.6), 1.0),
        (metrics.RecallAtPrecision(0.55), 1.0),
        (metrics.RecallAtPrecision(0.75), 2 / 3),
        (metrics.RecallAtPrecision(1.0), 2 / 3),
    ],
    ids=lambda x: getattr(x, "name", str(x)),
)
def test_rate_at_rate_hand_values(metric, expected):
    assert value(metric) == pytest.approx(expected)


def test_rate_at_rate_with_sample_weight_class_id_and_batches():
    # Weight 0 on the positive scored 0.9: at specificity >= 0.6, tp 1 of 2.
    m = metrics.SensitivityAtSpecificity(0.6)
    assert value(m, sample_weight=[1, 1, 1, 1, 1, 0]) == pytest.approx(0.5)
    # Two batches accumulate like one.
    m = metrics.PrecisionAtRecall(1.0)
    m.update_state(Y_TRUE[:3], Y_PRED[:3])
    assert value(m, Y_TRUE[3:], Y_PRED[3:]) == pytest.approx(0.6)
    # class_id picks one column of multi-label data.
    two = metrics.SpecificityAtSensitivity(1.0, class_id=1)
    y_true = np.stack([1 - np.array(Y_TRUE), Y_TRUE], axis=1)
    y_pred = np.stack([1 - np.array(Y_PRED), Y_PRED], axis=1)
    assert value(two, y_true, y_pred) == pytest.approx(1 / 3)


def test_rate_at_rate_unreachable_floor_and_one_threshold():
    # No threshold reaches precision 1 with recall > 0 when the top score is a negative.
    m = metrics.RecallAtPrecision(1.0)
    assert value(m, [1, 0], [0.3, 0.9]) == 0.0
    # One threshold means 0.5: tp 2, fp 1 -> recall 2/3, specificity 2/3.
    m = metrics.SensitivityAtSpecificity(0.5, num_thresholds=1)
    assert value(m) == pytest.approx(2 / 3)
    assert m.thresholds == [0.5]
    assert metrics.SensitivityAtSpecificity(0.5, num_thresholds=3).thresholds == [0.0, 0.5, 1.0]


def test_rate_at_rate_arguments_names_and_config():
    with pytest.raises(ValueError, match="specificity"):
        metrics.SensitivityAtSpecificity(1.5)
    with pytest.raises(ValueError, match="recall"):
        metrics.PrecisionAtRecall(-0.1)
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.RecallAtPrecision(0.5, num_thresholds=0)
    assert metrics.SpecificityAtSensitivity(0.5).name == "specificity_at_sensitivity"
    m = metrics.RecallAtPrecision(0.8, num_thresholds=50, class_id=2, name="rap")
    again = metrics.deserialize(metrics.serialize(m))
    assert type(again) is metrics.RecallAtPrecision
    assert again.get_config() == m.get_config()
    assert again.get_config()["precision"] == 0.8


# ----- R2Score ------------------------------------------------------------------------------


def test_r2_hand_value():
    # mean 8/3; SS_tot = 25/9 + 16/9 + 1/9 = 14/3; SS_res = 1 + 0 + 1 = 2 -> 1 - 6/14 = 4/7.
    m = metrics.R2Score()
    assert value(m, [[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]]) == pytest.approx(4 / 7)
    m = metrics.R2Score()
    assert value(m, [1.0, 4.0, 3.0], [2.0, 4.0, 4.0]) == pytest.approx(4 / 7)


def test_r2_batches_weights_and_adjustment():
    m = metrics.R2Score()
    m.update_state([[1.0], [4.0]], [[2.0], [4.0]])
    assert value(m, [[3.0]], [[4.0]]) == pytest.approx(4 / 7)
    # Weight 2 on the first sample equals repeating it: labels 1, 1, 4, 3 -> mean 9/4,
    # SS_tot = 2 * 25/16 + 49/16 + 9/16 = 27/4, SS_res = 2 + 0 + 1 = 3 -> 1 - 12/27 = 5/9.
    m = metrics.R2Score()
    assert value(
        m, [1.0, 4.0, 3.0], [2.0, 4.0, 4.0], sample_weight=[2.0, 1.0, 1.0]
    ) == pytest.approx(5 / 9)
    # Adjusted with 1 regressor over n = 4 samples: 1 - (1 - R2) * 3 / 2.
    y_true, y_pred = [1.0, 2.0, 3.0, 4.0], [1.5, 2.0, 2.5, 4.5]
    plain = value(metrics.R2Score(), y_true, y_pred)  # SS_res = 0.75, SS_tot = 5 -> 0.85
    assert plain == pytest.approx(0.85)
    adjusted = value(metrics.R2Score(num_regressors=1), y_true, y_pred)
    assert adjusted == pytest.approx(1 - 0.15 * 3 / 2)
    with pytest.warns(UserWarning, match="regressors"):
        assert value(metrics.R2Score(num_regressors=3), y_true, y_pred) == pytest.approx(0.85)


def test_r2_multi_output_aggregations():
    y_true = [[1.0, 0.0], [4.0, 2.0], [3.0, 4.0]]
    y_pred = [[2.0, 0.0], [4.0, 3.0], [4.0, 4.0]]
    # Column 0 scores 4/7 (SS_tot 14/3); column 1: mean 2, SS_tot 8, SS_res 1 -> 7/8.
    per_output = metrics.R2Score(class_aggregation=None)
    per_output.update_state(y_true, y_pred)
    np.testing.assert_allclose(per_output.result().numpy(), [4 / 7, 7 / 8], rtol=1e-6)
    uniform = value(metrics.R2Score(), y_true, y_pred)
    assert uniform == pytest.approx((4 / 7 + 7 / 8) / 2)
    weighted = value(metrics.R2Score("variance_weighted_average"), y_true, y_pred)
    assert weighted == pytest.approx((14 / 3 * 4 / 7 + 8 * 7 / 8) / (14 / 3 + 8))
    # Constant labels give that output a score of 0 instead of -inf.
    assert value(metrics.R2Score(), [2.0, 2.0], [1.0, 3.0]) == 0.0


def test_r2_arguments_and_config():
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="median")
    with pytest.raises(ValueError, match="num_regressors"):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match="shape"):
        metrics.R2Score().update_state([[1.0, 2.0]], [[1.0]])
    m = metrics.R2Score("variance_weighted_average", num_regressors=2)
    again = metrics.deserialize(metrics.serialize(m))
    assert again.get_config() == m.get_config()


# ----- correlation ----------------------------------------------------------------------------

CORR_TRUE = [[0, 1, 0.5], [1, 1, 0.2]]
CORR_PRED = [[0.1, 0.9, 0.5], [1, 0.9, 0.2]]


def test_pearson_hand_values():
    # Row 1: deviations (-0.5, 0.5, 0) and (-0.4, 0.4, 0): perfectly correlated.
    # Row 2: deviations (0.2667, 0.2667, -0.5333) and (0.3, 0.2, -0.5): cov 0.4/3 over
    # sqrt(0.4267/3 * 0.38/3).
    r = metrics.pearson_correlation(CORR_TRUE, CORR_PRED)
    row_2 = (0.4 / 3) / np.sqrt((0.64 / 1.5 / 3) * (0.38 / 3))
    np.testing.assert_allclose(r, [1.0, row_2], rtol=1e-5)
    assert row_2 == pytest.approx(0.99339927, abs=1e-6)
    assert value(metrics.PearsonCorrelation(), CORR_TRUE, CORR_PRED) == pytest.approx(
        (1.0 + row_2) / 2, abs=1e-6
    )


def test_concordance_hand_values():
    # Row 1: means equal, cov 0.4/3, variances 0.5/3 and 0.32/3 -> 0.8 / 0.82.
    # Row 2: cov 0.4/3, variances 0.4267/3 and 0.38/3, mean gap 1/30 -> 0.2667 / 0.27.
    ccc = metrics.concordance_correlation(CORR_TRUE, CORR_PRED)
    np.testing.assert_allclose(ccc, [0.8 / 0.82, (0.8 / 3) / 0.27], rtol=1e-5)
    m = metrics.ConcordanceCorrelation()
    assert value(m, CORR_TRUE, CORR_PRED) == pytest.approx(
        (0.8 / 0.82 + (0.8 / 3) / 0.27) / 2, abs=1e-6
    )
    # Correlated but shifted predictions are not concordant.
    assert metrics.concordance_correlation([[1.0, 2.0, 3.0]], [[2.0, 3.0, 4.0]])[0] < 0.8
    assert metrics.pearson_correlation([[1.0, 2.0, 3.0]], [[2.0, 3.0, 4.0]])[0] == pytest.approx(
        1.0, abs=1e-6
    )


def test_correlation_metrics_weights_axis_and_config():
    m = metrics.PearsonCorrelation()
    m.update_state(CORR_TRUE, CORR_PRED, sample_weight=[1.0, 0.0])
    assert float(m.result()) == pytest.approx(1.0, abs=1e-6)
    columns = metrics.pearson_correlation(np.transpose(CORR_TRUE), np.transpose(CORR_PRED), axis=0)
    np.testing.assert_allclose(columns, metrics.pearson_correlation(CORR_TRUE, CORR_PRED))
    for cls in (metrics.PearsonCorrelation, metrics.ConcordanceCorrelation):
        m = cls(axis=0, name="c")
        again = metrics.deserialize(metrics.serialize(m))
        assert type(again) is cls and again.get_config() == m.get_config()
