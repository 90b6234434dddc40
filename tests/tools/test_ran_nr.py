"""NR tables, TBS and cell capacity: the numbers of formulas.md section 3, and py3gpp agreement."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from maestro.tools.ran.cell import (
    CellConfig,
    InfeasibleRequest,
    TddPattern,
    capacity_table,
    peak_rate_mbps,
    prbs_for_demand,
    prbs_for_throughput,
    throughput_array,
    throughput_mbps,
)
from maestro.tools.ran.nr_tables import (
    CQI_TABLES,
    MCS_TABLES,
    cqi_entry,
    cqi_to_mcs,
    max_nrb,
    mcs_entry,
)
from maestro.tools.ran.tbs import transport_block_size, transport_block_sizes

TESTBED = CellConfig.oai_band78()


# --- TS 38.306 peak rate -------------------------------------------------------------------


def test_peak_rate_38306_40mhz_30khz_one_layer():
    assert round(peak_rate_mbps(TESTBED, 6), 2) == 170.14
    assert round(peak_rate_mbps(TESTBED, 8), 2) == 226.85


def test_peak_rate_scales_with_layers_and_scaling_factor():
    two = TESTBED.model_copy(update={"layers": 2})
    assert peak_rate_mbps(two, 6) == pytest.approx(2 * peak_rate_mbps(TESTBED, 6))
    assert peak_rate_mbps(TESTBED, 6, 0.75) == pytest.approx(0.75 * peak_rate_mbps(TESTBED, 6))
    # Uplink overhead is 0.08 instead of 0.14.
    assert peak_rate_mbps(TESTBED, 6, uplink=True) == pytest.approx(
        peak_rate_mbps(TESTBED, 6) * 0.92 / 0.86
    )


@pytest.mark.parametrize("bad", [3, 12])
def test_peak_rate_rejects_unknown_modulation(bad):
    with pytest.raises(ValueError, match="modulation_order"):
        peak_rate_mbps(TESTBED, bad)


def test_peak_rate_rejects_bad_scaling():
    with pytest.raises(ValueError, match="scaling"):
        peak_rate_mbps(TESTBED, 6, 1.5)


# --- cell configuration --------------------------------------------------------------------


def test_testbed_cell_is_oai_band78():
    assert TESTBED.n_prb == 106
    assert TESTBED.band == "n78"
    assert TESTBED.tdd == TddPattern(
        period_ms=5, dl_slots=7, dl_symbols_mixed=6, ul_slots=2, ul_symbols_mixed=4
    )
    assert TESTBED.dl_slots_per_s == 1600
    assert CellConfig() == TESTBED


@pytest.mark.parametrize(
    ("bandwidth", "scs", "band", "nrb"),
    [(40, 30, "n78", 106), (20, 15, "n78", 106), (100, 30, "n78", 273), (10, 15, "n41", 52),
     (100, 60, "n77", 135), (100, 120, "n257", 66), (400, 120, "n261", 264)],
)
def test_n_prb_follows_38101(bandwidth, scs, band, nrb):
    tdd = None if scs == 120 else TddPattern(period_ms=5, dl_slots=3, ul_slots=1)
    assert CellConfig(bandwidth_mhz=bandwidth, scs_khz=scs, band=band, tdd=tdd).n_prb == nrb


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"bandwidth_mhz": 41}, "bandwidth_mhz"),
        ({"bandwidth_mhz": 100, "scs_khz": 15}, "bandwidth_mhz"),
        ({"scs_khz": 120}, "scs_khz"),
        ({"scs_khz": 15, "band": "n257", "bandwidth_mhz": 50}, "scs_khz"),
        ({"layers": 9}, "layers"),
        ({"layers": 0}, "layers"),
        ({"mcs_table": 3}, "mcs_table"),
        ({"band": "78"}, "band"),
        ({"tdd": {"period_ms": 0.625}}, "tdd.period_ms"),
        ({"tdd": {"period_ms": 7}}, "period_ms"),
        ({"tdd": {"dl_slots": 9}}, "tdd"),
        ({"tdd": {"dl_symbols_mixed": 10, "ul_symbols_mixed": 6}}, "dl_symbols_mixed"),
        ({"bandwith_mhz": 40}, "bandwith_mhz"),
    ],
)
def test_invalid_cell_configs_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        CellConfig(**kwargs)


def test_cell_config_errors_are_pydantic_validation_errors():
    with pytest.raises(ValidationError):
        CellConfig(bandwidth_mhz=41)


def test_fdd_cell_uses_every_slot():
    fdd = CellConfig(tdd=None)
    assert fdd.dl_slots_per_s == 2000
    assert throughput_mbps(fdd, 15) == pytest.approx(83976 * 2000 / 1e6)


def test_mixed_slot_accounting_variants():
    none = CellConfig(tdd=TddPattern(mixed_slot="none"))
    partial = CellConfig(tdd=TddPattern(mixed_slot="partial"))
    assert throughput_mbps(none, 15) == pytest.approx(83976 * 1400 / 1e6)
    # The mixed slot's 6 DL symbols minus 1 control symbol carry a 5-symbol block.
    five = transport_block_size(106, 28, n_symbols=5)
    assert throughput_mbps(partial, 15) == pytest.approx((83976 * 1400 + five * 200) / 1e6)
    assert throughput_mbps(none, 15) < throughput_mbps(partial, 15) < throughput_mbps(TESTBED, 15)


# --- tables ---------------------------------------------------------------------------------


def test_cqi_table_1_efficiencies_match_38214():
    expected = [0, 0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766, 1.9141, 2.4063,
                2.7305, 3.3223, 3.9023, 4.5234, 5.1152, 5.5547]
    eff = CQI_TABLES[1][:, 0] * CQI_TABLES[1][:, 1] / 1024
    assert np.allclose(eff, expected, atol=6e-5)


def test_cqi_table_2_tops_out_at_256qam_948():
    assert cqi_entry(15, 2) == (8, 948.0)
    assert cqi_entry(12, 2) == (8, 711.0)
    assert cqi_entry(11, 2) == (6, 873.0)
    assert cqi_entry(0, 2) == (0, 0.0)


def test_mcs_tables_sizes_and_ends():
    assert len(MCS_TABLES[1]) == 29 and len(MCS_TABLES[2]) == 28
    assert mcs_entry(28, 1) == (6, 948.0)
    assert mcs_entry(27, 2) == (8, 948.0)
    assert mcs_entry(20, 2) == (8, 682.5)
    with pytest.raises(ValueError, match="mcs"):
        mcs_entry(29, 1)
    with pytest.raises(ValueError, match="mcs"):
        mcs_entry(28, 2)


def test_mcs_table_1_matches_py3gpp():
    py3gpp_tables = pytest.importorskip("py3gpp.nrPDSCHMCSTables")
    table = py3gpp_tables.nrPDSCHMCSTables().QAM64Table
    for mcs in range(29):
        assert (table.Qm(mcs), table.Rate(mcs)) == (
            MCS_TABLES[1][mcs, 0], MCS_TABLES[1][mcs, 1] / 1024
        )


def test_cqi_to_mcs_keeps_modulation_and_rate():
    assert [cqi_to_mcs(c, 1) for c in (7, 10, 12, 15)] == [11, 18, 22, 28]
    assert cqi_to_mcs(0, 1) == -1 and cqi_to_mcs(1, 1) == 0
    for table in (1, 2):
        for cqi in range(2, 16):
            assert mcs_entry(cqi_to_mcs(cqi, table), table) == cqi_entry(cqi, table)
    assert cqi_to_mcs(15, 2) == 27


def test_max_nrb_error_lists_allowed_bandwidths():
    with pytest.raises(ValueError, match=r"bandwidth_mhz 41 .*allowed: 5, 10"):
        max_nrb(41, 30)


# --- TBS -------------------------------------------------------------------------------------


def test_tbs_paper_cell_mcs28():
    assert transport_block_size(106, 28) == 83976
    assert 83976 * TESTBED.dl_slots_per_s / 1e6 == pytest.approx(134.36, abs=0.005)


def test_tbs_small_and_half_carrier():
    assert transport_block_size(1, 28) == 808
    assert transport_block_size(53, 28) == 42016
    assert round(throughput_mbps(TESTBED, 15, 53), 2) == 67.23


def test_tbs_zero_prb_is_zero():
    assert transport_block_size(0, 10) == 0
    assert transport_block_sizes(np.array([0, 1]), -1).tolist() == [0, 0]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"n_prb": -1, "mcs": 1}, "n_prb"), ({"n_prb": 300, "mcs": 1}, "n_prb"),
     ({"n_prb": 10, "mcs": 29}, "mcs"), ({"n_prb": 10, "mcs": 28, "mcs_table": 2}, "mcs"),
     ({"n_prb": 10, "mcs": 1, "layers": 5}, "layers"),
     ({"n_prb": 10, "mcs": 1, "n_symbols": 15}, "n_symbols"),
     ({"n_prb": 10.5, "mcs": 1}, "n_prb"), ({"n_prb": 10, "mcs": 1, "mcs_table": 3}, "mcs_table")],
)
def test_tbs_rejects_bad_inputs_naming_them(kwargs, field):
    with pytest.raises(ValueError, match=field):
        transport_block_size(**kwargs)


def test_tbs_vectorised_equals_scalar():
    prbs = np.arange(0, 276, 7)
    for mcs in (0, 9, 16, 17, 28):
        vec = transport_block_sizes(prbs, mcs)
        assert vec.tolist() == [transport_block_size(int(p), mcs) for p in prbs]


def _half_up_tbs(n_info: float) -> int:
    """Independent restatement of step 4 for the tie cases (round half up)."""
    n = math.floor(math.log2(n_info - 24)) - 5
    quant = max(3840, 2**n * math.floor((n_info - 24) / 2**n + 0.5))
    blocks = math.ceil((quant + 24) / 8424) if quant > 8424 else 1
    return 8 * blocks * math.ceil((quant + 24) / (8 * blocks)) - 24


def test_tbs_matches_py3gpp_over_a_grid():
    """Our TBS equals py3gpp's nrTBS over PRBs x MCS x layers x symbol layouts, both tables.

    The only differences allowed are exact ties of (N_info - 24) / 2^n at .5, where py3gpp
    uses Python's round() (halves to even) and the procedure rounds halves up, as MATLAB's
    nrTBS does; at those points we check the half-up value independently.
    """
    py3gpp = pytest.importorskip("py3gpp")
    names = {2: "QPSK", 4: "16QAM", 6: "64QAM", 8: "256QAM"}
    prbs = np.array([1, 2, 3, 5, 8, 11, 17, 24, 33, 51, 52, 53, 79, 100, 106, 133, 162, 217,
                     224, 273, 275])
    checked = ties = 0
    for table in (1, 2):
        for layers in (1, 2, 4):
            for symbols, dmrs in ((13, 12), (12, 24), (6, 12), (2, 6)):
                for mcs in range(len(MCS_TABLES[table])):
                    ours = transport_block_sizes(prbs, mcs, table, symbols, dmrs, layers)
                    qm, rate = MCS_TABLES[table][mcs]
                    re_per_prb = 12 * symbols - dmrs
                    for p, got in zip(prbs.tolist(), ours.tolist(), strict=True):
                        ref = py3gpp.nrTBS(names[int(qm)], layers, p, re_per_prb, rate / 1024)
                        checked += 1
                        if got != ref:
                            n_info = min(156, re_per_prb) * p * rate / 1024 * qm * layers
                            n = math.floor(math.log2(n_info - 24)) - 5
                            assert ((n_info - 24) / 2**n) % 1 == 0.5, (table, layers, mcs, p)
                            assert got == _half_up_tbs(n_info)
                            ties += 1
    assert checked == (29 + 28) * 3 * 4 * len(prbs)
    assert ties <= 8


def test_tbs_tie_case_rounds_half_up():
    # 224 PRB, 2 layers, 16QAM 378: (N_info - 24) / 2^11 = 46.5 exactly.
    assert transport_block_size(224, 11, layers=2) == 96264


# --- capacity --------------------------------------------------------------------------------


def test_cqi_to_throughput_on_testbed_cell():
    got = [round(throughput_mbps(TESTBED, c), 2) for c in (7, 10, 12, 15)]
    assert got == [36.06, 67.23, 95.09, 134.36]


def test_cqi_throughput_within_3_percent_of_scaled_efficiency():
    for cqi in (7, 10, 12, 15):
        _, rate = cqi_entry(cqi)
        qm, _ = cqi_entry(cqi)
        approx = 134 * qm * rate / 1024 / 5.5547
        assert throughput_mbps(TESTBED, cqi) == pytest.approx(approx, rel=0.03)


def test_throughput_zero_cases_and_monotonicity():
    assert throughput_mbps(TESTBED, 0) == 0
    assert throughput_mbps(TESTBED, 15, 0) == 0
    table = capacity_table(TESTBED)
    assert table.shape == (16, 107)
    assert np.all(np.diff(table, axis=1) >= 0)
    assert np.all(np.diff(table[:, -1]) >= 0)


def test_256qam_table_and_layers_raise_capacity():
    qam256 = CellConfig(mcs_table=2)
    assert throughput_mbps(qam256, 15) == pytest.approx(
        transport_block_size(106, 27, mcs_table=2) * 1600 / 1e6
    )
    assert throughput_mbps(qam256, 15) > throughput_mbps(TESTBED, 15) * 1.3
    four = CellConfig(layers=4)
    assert throughput_mbps(four, 15) == pytest.approx(
        transport_block_size(106, 28, layers=4) * 1600 / 1e6
    )
    eight = CellConfig(layers=8)  # two codewords of four layers
    assert throughput_mbps(eight, 15) == pytest.approx(2 * throughput_mbps(four, 15))


@pytest.mark.parametrize(("cqi", "prbs", "field"), [(16, None, "cqi"), (-1, None, "cqi"),
                                                    (7, 107, "prbs"), (7, -2, "prbs"),
                                                    (7.0, None, "cqi")])
def test_throughput_rejects_bad_inputs(cqi, prbs, field):
    with pytest.raises(ValueError, match=field):
        throughput_mbps(TESTBED, cqi, prbs)


def test_throughput_array_matches_scalar():
    cqis = np.array([0, 3, 7, 12, 15, 15])
    prbs = np.array([10, 106, 53, 1, 0, 106])
    got = throughput_array(TESTBED, cqis, prbs)
    pairs = zip(cqis.tolist(), prbs.tolist(), strict=True)
    assert got.tolist() == [throughput_mbps(TESTBED, c, p) for c, p in pairs]
    assert throughput_array(TESTBED, np.array([15]))[0] == throughput_mbps(TESTBED, 15)


def test_prbs_for_throughput_is_the_smallest_count():
    for cqi, mbps in ((12, 50.0), (7, 10.0), (15, 134.36), (15, 0.5)):
        p = prbs_for_throughput(TESTBED, cqi, mbps)
        assert throughput_mbps(TESTBED, cqi, p) >= mbps - 1e-9
        assert throughput_mbps(TESTBED, cqi, p - 1) < mbps
    # TBS quantisation: 52 PRB already reach the 42016-bit block of 53 PRB.
    assert transport_block_size(52, 28) == 42016
    assert prbs_for_throughput(TESTBED, 15, 67.2256) == 52
    assert transport_block_size(104, 28) == 83976 > transport_block_size(103, 28)
    assert prbs_for_throughput(TESTBED, 15, 134.3616) == 104
    assert prbs_for_throughput(TESTBED, 9, 0) == 0


def test_prbs_for_throughput_refuses_with_reason():
    with pytest.raises(InfeasibleRequest) as info:
        prbs_for_throughput(TESTBED, 12, 100)
    assert "95.09" in info.value.reason and "CQI 12" in info.value.reason
    assert info.value.requested_mbps == 100
    assert info.value.available_mbps == pytest.approx(95.0912)
    with pytest.raises(InfeasibleRequest, match="out of range"):
        prbs_for_throughput(TESTBED, 0, 1)
    with pytest.raises(ValueError, match="mbps"):
        prbs_for_throughput(TESTBED, 12, -5)
    with pytest.raises(ValueError, match="mbps"):
        prbs_for_throughput(TESTBED, 12, float("nan"))


def test_prbs_for_demand_saturates():
    assert prbs_for_demand(TESTBED, 12, 500) == 106
    assert prbs_for_demand(TESTBED, 0, 5) == 0
    assert prbs_for_demand(TESTBED, 12, 50) == prbs_for_throughput(TESTBED, 12, 50)
