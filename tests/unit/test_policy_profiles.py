"""The five seed policy profiles: their key numbers, citations, and faithfulness to the seeds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clinic_app.domain.policy import RULES, PolicyError, PolicyLibrary, Profile, load_library

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"

# profile id → seed number (the prefix of every cite and of the seed file name)
SEED_PROFILES = {
    "zhongwei": "000",
    "xinbin": "001",
    "zhangshu": "002",
    "guyang": "003",
    "rongchang": "004",
}

FOUR_CHRONIC = ("hypertension", "diabetes", "tuberculosis", "severe_mental")

GUYANG_NINE = (
    "食管癌",
    "胃癌",
    "结肠癌",
    "直肠癌",
    "终末期肾病",
    "儿童急性淋巴细胞白血病",
    "儿童急性早幼粒细胞白血病",
    "儿童先天性心脏病房间隔缺损",
    "儿童先天性心脏病室间隔缺损",
)

DISEASE_LISTS = ("diseases.major", "diseases.free_treatment", "diseases.special_treatment")
COUNT_RULES = tuple(key for key in RULES if key.startswith("diseases.") and key.endswith("_count"))


@pytest.fixture(scope="module")
def library() -> PolicyLibrary:
    return load_library()


def own(profile: Profile, key: str):
    """The rule as the profile itself sets it (fails if it is inherited)."""
    found = profile.rule(key)
    assert found is not None, key
    assert not found.inherited, f"{profile.id} should set {key} itself"
    assert found.profile_id == profile.id
    return found.value


def own_keys(profile: Profile) -> list[str]:
    return [key for key in RULES if (r := profile.rule(key)) is not None and not r.inherited]


def squeeze(text: str) -> str:
    """Seed texts come from PDFs: line breaks and spaces fall inside phrases."""
    return re.sub(r"\s+", "", text)


# ------------------------------------------------------------------------------ the library


def test_all_seed_profiles_load_and_inherit_national(library: PolicyLibrary) -> None:
    ids = {p.id for p in library}
    assert {"national", *SEED_PROFILES} <= ids
    for profile_id, number in SEED_PROFILES.items():
        profile = library.get(profile_id)
        assert profile.parent is not None and profile.parent.id == "national"
        assert profile.source.startswith(f"{number}_") and profile.source.endswith(".txt")
        assert len(profile.versions) == 1


@pytest.mark.parametrize(("profile_id", "number"), sorted(SEED_PROFILES.items()))
def test_every_own_rule_cites_its_seed(library: PolicyLibrary, profile_id: str,
                                       number: str) -> None:
    profile = library.get(profile_id)
    keys = own_keys(profile)
    assert keys, f"{profile_id} sets no rules"
    for key in keys:
        cite = profile.rule(key).cite
        assert cite.startswith(f"{number} §"), f"{profile_id} {key}: cite {cite!r}"


@pytest.mark.parametrize("profile_id", sorted(SEED_PROFILES))
def test_unset_rules_are_inherited_from_national(library: PolicyLibrary, profile_id: str) -> None:
    profile = library.get(profile_id)
    national = library.get("national")
    mine = set(own_keys(profile))
    for key in RULES:
        if key in mine:
            continue
        found = profile.rule(key)
        if national.rule(key) is None:
            assert found is None, key
            continue
        assert found is not None and found.inherited, key
        assert found.profile_id == "national", key
        assert found.value == national.value(key)


@pytest.mark.parametrize("profile_id", sorted(SEED_PROFILES))
def test_card_lines_are_short(library: PolicyLibrary, profile_id: str) -> None:
    profile = library.get(profile_id)
    for key in ("card.contact.policy_lines", "card.household.policy_lines"):
        lines = own(profile, key)
        assert 3 <= len(lines) <= 6, key
        for line in lines:
            assert len(line) <= 40, f"{key}: {line}"


# ------------------------------------------------------------------------- per profile


def test_zhongwei(library: PolicyLibrary) -> None:
    p = library.get("zhongwei")
    national = library.get("national")
    assert national.followups_per_year("hypertension") == 4
    assert national.followups_per_year("diabetes") == 4
    assert p.followups_per_year("hypertension") == 6
    assert p.followups_per_year("diabetes") == 6
    assert own(p, "reimburse.fund_payout_workdays") == 15
    assert own(p, "contract.coverage_target") == 100
    assert own(p, "reimburse.inpatient_actual_percent") == 90
    assert own(p, "reimburse.out_of_pocket_cap_fen") == 500000
    assert own(p, "diseases.major_count") == 20
    assert "白内障" in own(p, "diseases.major")
    assert own(p, "beds.reserved_percent") == 5
    assert own(p, "beds.township_min") == 2
    assert own(p, "report.reconcile_quarterly_day") == 10
    assert "每户一本" in own(p, "card.household.issue")
    chronic = p.package("chronic")
    assert chronic is not None
    assert {s.code: s.times for s in chronic.services}["follow_up"] == 6
    # not in the document: inherited
    severe = p.rule("followup.per_year.severe_mental")
    assert severe.inherited and severe.profile_id == "national"


def test_xinbin(library: PolicyLibrary) -> None:
    p = library.get("xinbin")
    assert own(p, "contract.subsidy_fen") == 800
    assert own(p, "checkup.per_year") == 1
    assert own(p, "checkup.coverage_target") == 100
    assert own(p, "checkup.cost_fen") == 15000
    assert own(p, "checkup.form") == "老年人健康体检表"
    assert own(p, "medicine.free_cap_fen") == 100000
    assert own(p, "medicine.free_cap_conditions") == FOUR_CHRONIC
    assert own(p, "contract.conditions_full_coverage") == FOUR_CHRONIC
    assert own(p, "contract.coverage_target") == 100
    assert own(p, "diseases.major_count") == 14
    assert own(p, "diseases.severe_count") == 34
    assert own(p, "diseases.severe_national_count") == 94
    assert own(p, "report.monthly") is True
    assert own(p, "diseases.close_out_rule") == "发现1例管理1例，治愈1例销号1例"
    waivers = "；".join(own(p, "waivers.items"))
    for item in ("挂号费", "院内会诊费", "肌肉注射费", "一般物理降温费", "40项", "减收20%"):
        assert item in waivers
    assert own(p, "card.contact.title") == "家庭医生签约服务联系卡"
    assert "宣传单" in own(p, "card.household.issue")
    # the document names no disease of its 14: no list is set
    assert p.rule("diseases.major") is None
    assert p.rule("followup.per_year.hypertension").inherited


def test_zhangshu(library: PolicyLibrary) -> None:
    p = library.get("zhangshu")
    assert own(p, "reimburse.inpatient_actual_percent") == 90
    assert own(p, "reimburse.no_extra_layering") is True
    assert own(p, "report.poverty_warning") is True
    assert own(p, "diseases.free_treatment_count") == 10
    assert set(own(p, "diseases.free_treatment")) == {"尿毒症", "严重精神障碍"}
    assert own(p, "diseases.special_treatment_count") == 21
    assert set(own(p, "diseases.special_treatment")) == {"食道癌", "肺癌"}
    assert own(p, "contract.principle") == "签约一人，履约一人，签约一项，履约一项"
    # 002 §八 names the national basic services, so the package is inherited, not restated.
    packages = p.rule("contract.packages")
    assert packages.inherited and packages.profile_id == "national"
    assert {s.code for s in p.package("basic").services} == {
        "checkup", "follow_up", "health_education", "consultation", "referral"}
    for key in ("diseases.free_treatment", "diseases.special_treatment"):
        assert "只点名" in p.rule(key).cite


def test_guyang(library: PolicyLibrary) -> None:
    p = library.get("guyang")
    assert own(p, "reimburse.inpatient_actual_percent") == 95
    assert own(p, "reimburse.deductible_cut_percent") == 50
    assert own(p, "reimburse.ratio_raise_points") == 5
    assert own(p, "reimburse.outpatient_percent") == 80
    assert own(p, "medicine.box_enabled") is True
    assert own(p, "medicine.govt_top_up_percent") == 95
    assert own(p, "checkup.per_year") == 1
    assert own(p, "diseases.major_count") == 9
    assert own(p, "diseases.major") == GUYANG_NINE
    issue = own(p, "card.household.issue")
    assert "健康扶贫卡" in issue and "服务协议书" in issue
    chronic = p.package("chronic")
    assert chronic is not None
    assert "medicine_delivery" in {s.code for s in chronic.services}


def test_rongchang(library: PolicyLibrary) -> None:
    p = library.get("rongchang")
    assert own(p, "reimburse.ratio_raise_points") == 10
    assert own(p, "reimburse.serious_illness_percent") == 50
    assert own(p, "reimburse.deductible_cut_percent") == 50
    assert own(p, "fund.per_head_min_fen") == 10000
    assert own(p, "fund.bill_threshold_fen") == 300000
    assert own(p, "fund.max_share_percent") == 30
    assert own(p, "fund.yearly_cap_fen") == 5000000
    assert "1名签约家庭医生" in own(p, "card.household.issue")
    assert any("基本公共卫生经费" in line for line in own(p, "reimburse.notes"))
    packages = p.rule("contract.packages")
    assert packages.inherited and packages.profile_id == "national"


# ----------------------------------------------------------------- faithful to the seeds


@pytest.mark.parametrize(("profile_id", "number"), sorted(SEED_PROFILES.items()))
def test_disease_names_and_counts_occur_in_seed(library: PolicyLibrary, profile_id: str,
                                                number: str) -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS} (shared/seeds beside the repository)")
    profile = library.get(profile_id)
    seed = SEEDS / profile.source
    assert seed.name.startswith(f"{number}_") and seed.is_file(), seed
    text = squeeze(seed.read_text(encoding="utf-8"))
    own_set = set(own_keys(profile))
    checked = 0
    for key in DISEASE_LISTS:
        if key in own_set:
            for name in profile.value(key):
                assert squeeze(name) in text, f"{profile_id} {key}: {name} not in {seed.name}"
                checked += 1
    for key in COUNT_RULES:
        if key in own_set:
            count = profile.value(key)
            assert re.search(rf"(?<!\d){count}种", text), f"{profile_id} {key}: {count}种"
            checked += 1
    if profile_id != "rongchang":  # 004 gives no disease list or count
        assert checked, f"{profile_id} sets no disease list or count"


# ------------------------------------------------------------------------- bad profiles

GOOD_HEAD = """
[profile]
id = "bad"
name = "测试"
place = "测试县"
inherits = "national"

[[versions]]
valid_from = 2018-01-01

[versions.rules]
"""


@pytest.mark.parametrize(
    ("rule_line", "key"),
    [
        ('"contract.subsidy_fen" = { value = 8.0, cite = "001 §二(四)3" }', "contract.subsidy_fen"),
        ('"contract.subsidy_yuan" = { value = 8, cite = "001 §二(四)3" }', "contract.subsidy_yuan"),
        ('"checkup.cost_fen" = { value = 15000 }', "checkup.cost_fen"),
        ('"fund.max_share_percent" = { value = 130, cite = "004 §二(一)7" }',
         "fund.max_share_percent"),
        ('"medicine.free_cap_conditions" = { value = ["gout"], cite = "001 §二(四)3" }',
         "medicine.free_cap_conditions"),
    ],
    ids=["money-float", "unknown-key", "missing-cite", "percent-over-100", "unknown-condition"],
)
def test_bad_profile_is_refused_naming_the_key(rule_line: str, key: str) -> None:
    library = load_library()
    with pytest.raises(PolicyError) as caught:
        library.add_toml(GOOD_HEAD + rule_line + "\n", "test.toml")
    message = str(caught.value)
    assert key in message
    assert "test.toml" in message
    assert "bad" not in library


def test_good_inline_profile_is_accepted() -> None:
    library = load_library()
    line = '"contract.subsidy_fen" = { value = 800, cite = "001 §二(四)3" }\n'
    profile = library.add_toml(GOOD_HEAD + line, "test.toml")
    assert profile.value("contract.subsidy_fen") == 800
    assert profile.rule("followup.per_year.hypertension").profile_id == "national"


def test_compare_shows_where_two_places_differ(library: PolicyLibrary) -> None:
    from clinic_app.domain.policy import compare

    rows = {r.spec.key: r for r in compare(library.get("national"), library.get("zhongwei"),
                                            only_differences=True)}
    assert "followup.per_year.hypertension" in rows
    row = rows["followup.per_year.hypertension"]
    assert (row.left.value, row.right.value) == (4, 6)
    assert row.right.cite.startswith("000 ")
    assert "bp.controlled_sbp" not in rows  # inherited, so the same
    everything = compare(library.get("national"), library.get("zhongwei"))
    assert len(everything) == len(rows) + sum(1 for r in everything if r.same)
