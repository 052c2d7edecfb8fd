"""A synthetic demo registry: fictional Japanese suppliers, their network, ★ and certificates.

Deterministic by seed and relative to an ``as_of`` date, so that some certificates are valid,
some expire soon and some have lapsed whatever the day the demo is made. Names are built from
word lists and do not denote real firms; corporate numbers carry a valid check digit on a base
starting with 99, a range no registry office uses.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import polars as pl

from questionnaires.catalogue import load_catalogue
from questionnaires.frameworks import load_ipa_5min
from questionnaires.policy import default_policy
from registry.domain.models import BUYER_ID, corporate_number_check_digit, supplier_name_key
from registry.domain.tables import REQUEST_SCHEMA
from registry.store.content import RegistryData
from registry.store.reminders import CONTACT_SCHEMA

__all__ = [
    "INDUSTRIES",
    "certificate_pdf",
    "generate_demo",
]

_PLACES = [
    "東邦",
    "北陸",
    "大和",
    "三河",
    "浜松",
    "豊橋",
    "信州",
    "湘南",
    "瀬戸内",
    "越後",
    "常陸",
    "武蔵",
    "飛騨",
    "出雲",
    "筑紫",
    "若葉",
    "朝日",
    "富士見",
    "白鷺",
    "青葉",
    "紀州",
    "播磨",
    "伊勢",
    "尾張",
    "美濃",
    "甲斐",
    "房総",
    "相模",
    "丹波",
    "備前",
    "阿波",
    "讃岐",
    "土佐",
    "肥後",
    "薩摩",
    "日向",
    "陸奥",
    "出羽",
    "磐城",
    "上州",
    "駿河",
    "遠州",
    "近江",
    "山城",
    "但馬",
    "因幡",
    "石見",
    "周防",
    "長門",
    "伊予",
    "豊前",
    "筑後",
    "壱岐",
    "能登",
    "加賀",
    "若狭",
    "越中",
    "佐渡",
    "蝦夷",
    "琉球",
]
_WORDS = [
    "精密",
    "興産",
    "産業",
    "テック",
    "工業",
    "技研",
    "総合",
    "第一",
    "中央",
    "日進",
    "昭和",
    "大成",
    "新栄",
    "共栄",
    "東洋",
    "光",
    "旭",
    "双葉",
    "明星",
    "協和",
    "三星",
    "和光",
    "栄光",
    "丸和",
    "大栄",
    "北斗",
    "南海",
    "太陽",
    "未来",
    "創和",
]
# industry: (Japanese label, English label, business words, weight)
INDUSTRIES: dict[str, tuple[str, str, tuple[str, ...], float]] = {
    "automotive_parts": (
        "自動車部品",
        "Automotive parts",
        ("精工", "工機", "製作所", "プレス工業", "ダイカスト"),
        0.28,
    ),
    "semiconductor_materials": (
        "半導体材料",
        "Semiconductor materials",
        ("化成", "マテリアル", "ケミカル", "石英", "ガス工業"),
        0.12,
    ),
    "electronic_components": (
        "電子部品",
        "Electronic components",
        ("電子", "電機", "デバイス", "回路", "コネクタ"),
        0.14,
    ),
    "metal_processing": ("金属加工", "Metal processing", ("金属工業", "鍛造", "熱処理", "メッキ", "鋳造"), 0.16),
    "logistics": ("物流", "Logistics", ("運輸", "物流", "ロジテック", "倉庫", "運送"), 0.1),
    "it_services": ("ITサービス", "IT services", ("システム", "ソフト", "情報サービス", "ネットワーク", "データ"), 0.1),
    "packaging": ("包装資材", "Packaging", ("紙器", "パッケージ", "樹脂", "包装", "段ボール"), 0.05),
    "chemicals": ("化学", "Chemicals", ("化学", "塗料", "樹脂工業", "薬品", "油脂"), 0.05),
}
_PREFECTURES = [
    "愛知県",
    "静岡県",
    "神奈川県",
    "埼玉県",
    "群馬県",
    "栃木県",
    "茨城県",
    "東京都",
    "大阪府",
    "兵庫県",
    "京都府",
    "三重県",
    "岐阜県",
    "長野県",
    "新潟県",
    "富山県",
    "広島県",
    "岡山県",
    "福岡県",
    "熊本県",
    "宮城県",
    "山形県",
    "滋賀県",
    "福井県",
]
_SUPPLIED = {
    "automotive_parts": "ブレーキ部品",
    "semiconductor_materials": "高純度薬液",
    "electronic_components": "車載ECU基板",
    "metal_processing": "切削加工品",
    "logistics": "部品輸送",
    "it_services": "生産管理システム保守",
    "packaging": "梱包資材",
    "chemicals": "表面処理剤",
}


def _company_name(rng: random.Random, index: int, industry: str) -> str:
    """A unique fictional name: place × word × business word, legal form in front or behind."""
    words = INDUSTRIES[industry][2]
    place = _PLACES[index % len(_PLACES)]
    rest = index // len(_PLACES)
    word = _WORDS[rest % len(_WORDS)]
    business = words[(rest // len(_WORDS)) % len(words)]
    # Beyond the plain combinations a second place name is put in front (越後豊橋精密工機).
    serial = rest // (len(_WORDS) * len(words))
    core = (_PLACES[(serial - 1) % len(_PLACES)] if serial else "") + f"{place}{word}{business}"
    form = rng.choices(("株式会社", "株式会社", "有限会社", "合同会社"), weights=(6, 6, 2, 1))[0]
    return f"{form}{core}" if rng.random() < 0.35 else f"{core}{form}"


def _corporate_numbers(rng: random.Random, n: int) -> list[str]:
    bases = rng.sample(range(10**10), n)
    out = []
    for b in bases:
        base = f"99{b:010d}"
        out.append(f"{corporate_number_check_digit(base)}{base}")
    return out


def generate_demo(n_suppliers: int, seed: int, as_of: date, scheme_start: date | None = None) -> RegistryData:
    """Build a demo registry of ``n_suppliers`` suppliers as frames ready for the store. It follows
    the scheme's timeline: no ★ is issued before SCS ★3/★4 start (``scheme_start``, the validity
    policy's by default), so before that day the demo holds self-assessments, 自社診断, SECURITY
    ACTION, ISMS and Pマーク only, and ★ certificates appear for as-of dates after it."""
    if n_suppliers < 1:
        raise ValueError("the demo needs at least one supplier")
    start = scheme_start or default_policy().scheme_start
    rng = random.Random(seed)
    later = random.Random(seed + 1_000_003)
    industries = list(INDUSTRIES)
    weights = [INDUSTRIES[i][3] for i in industries]

    # Tiers: about 10 % tier 1, 30 % tier 2, the rest tier 3 (at least one tier-1 supplier).
    n1 = max(1, round(n_suppliers * 0.10))
    n2 = max(0, min(n_suppliers - n1, round(n_suppliers * 0.30)))
    tier_of = [1] * n1 + [2] * n2 + [3] * (n_suppliers - n1 - n2)
    ids = [f"S{i + 1:06d}" for i in range(n_suppliers)]
    industry = rng.choices(industries, weights=weights, k=n_suppliers)
    # Sizes 3..3,000 staff, log-uniform, larger the closer to the buyer.
    employees = [
        max(
            3,
            min(
                3000,
                round(math.exp(rng.uniform(math.log(3), math.log(3000))) * (2.5 if t == 1 else 1.0 if t == 2 else 0.4)),
            ),
        )
        for t in tier_of
    ]
    plain = len(_PLACES) * len(_WORDS) * 5
    # Plain names for small demos; prefixed ones only when there are more suppliers than plain names.
    name_slots = rng.sample(range(plain * (1 + (2 * n_suppliers) // plain)), n_suppliers)
    suppliers = pl.DataFrame(
        {
            "supplier_id": ids,
            "name": [_company_name(rng, slot, ind) for slot, ind in zip(name_slots, industry, strict=True)],
            "corporate_number": _corporate_numbers(rng, n_suppliers),
            # stored as a buyer's list would name it (業種), in Japanese
            "industry": [INDUSTRIES[i][0] for i in industry],
            "employees": employees,
            "prefecture": rng.choices(_PREFECTURES, k=n_suppliers),
            "has_security_staff": [e >= 300 or (e >= 50 and rng.random() < 0.4) for e in employees],
            # A stream of its own, so the facts added later do not reshuffle the rest of the demo.
            "far_from_it_support": [later.random() < 0.15 for _ in employees],
            # registered over the last years, a few of them in the last month
            "created_at": [
                datetime.combine(
                    as_of - timedelta(days=later.randint(0, 29) if later.random() < 0.03 else later.randint(30, 900)),
                    time(9),
                )
                for _ in employees
            ],
        },
        schema_overrides={"employees": pl.Int32},
    )
    suppliers = suppliers.with_columns(name_key=pl.col("name").map_elements(supplier_name_key, return_dtype=pl.String))

    # Links: buyer → tier 1; each deeper supplier has 1–3 parents one tier up, picked with a
    # preference for a few big ones; about 1 % of tier 3 are hubs behind many tier-2 suppliers.
    tier1, tier2, tier3 = ids[:n1], ids[n1 : n1 + n2], ids[n1 + n2 :]
    parents: list[str] = [BUYER_ID] * n1
    children: list[str] = list(tier1)
    critical: list[bool] = [rng.random() < 0.2 for _ in tier1]
    for level_ids, above in ((tier2, tier1), (tier3, tier2 or tier1)):
        for child in level_ids:
            hub = level_ids is tier3 and rng.random() < 0.01
            k = (
                rng.randint(8, min(40, len(above)))
                if hub and len(above) >= 8
                else rng.choices((1, 2, 3), weights=(6, 3, 1))[0]
            )
            k = min(k, len(above))
            picks = {above[min(len(above) - 1, int(len(above) * rng.random() ** 1.6))] for _ in range(k)}
            for parent in sorted(picks):
                parents.append(parent)
                children.append(child)
                critical.append(rng.random() < 0.05)
    industry_of = dict(zip(ids, industry, strict=True))
    links = pl.DataFrame(
        {
            "parent_id": parents,
            "child_id": children,
            "supplied": [_SUPPLIED[industry_of[c]] for c in children],
            "source": ["demo"] * len(children),
            "critical": critical,
        }
    )

    # Certificates, with issue dates spread so that states vary relative to as_of.
    cert_rows: list[dict[str, object]] = []

    def add_cert(
        supplier_id: str, scheme: str, issued: date, registration: str, issuer: str, scope: str | None
    ) -> None:
        cert_rows.append(
            {
                "certificate_id": f"C{len(cert_rows) + 1:07d}",
                "supplier_id": supplier_id,
                "scheme": scheme,
                "registration_no": registration,
                "issued_on": issued,
                "issuer": issuer,
                "scope": scope,
            }
        )

    def star_issued(span_days: int) -> date:
        """An issue date in the last ``span_days``; one that would fall before the scheme starts
        is moved after the start instead (a ★ the supplier obtains once it can)."""
        issued = as_of - timedelta(days=rng.randint(0, span_days))
        return issued if issued >= start else start + timedelta(days=rng.randint(0, span_days))

    request_rows: list[dict[str, object]] = []
    for sid, tier, staff in zip(ids, tier_of, employees, strict=True):
        r = rng.random()
        p_star4 = {1: 0.22, 2: 0.06, 3: 0.01}[tier]
        p_star3 = {1: 0.45, 2: 0.3, 3: 0.12}[tier]
        if r < p_star4:
            issued = star_issued(3 * 365 + 120)
            add_cert(sid, "scs_star4", issued, f"SCS4-{rng.randint(10000, 99999)}", "一般社団法人 みらい評価機構", None)
        elif r < p_star4 + p_star3:
            issued = star_issued(365 + 90)
            add_cert(sid, "scs_star3", issued, f"SCS3-{rng.randint(10000, 99999)}", "登録セキスペ 山田 一郎", None)
            if rng.random() < 0.3 and issued - timedelta(days=365) >= start:  # an earlier ★3, now superseded
                add_cert(
                    sid,
                    "scs_star3",
                    issued - timedelta(days=365),
                    f"SCS3-{rng.randint(10000, 99999)}",
                    "登録セキスペ 山田 一郎",
                    None,
                )
        elif rng.random() < 0.35:
            scheme = "security_action_star2" if rng.random() < 0.5 else "security_action_star1"
            add_cert(
                sid,
                scheme,
                as_of - timedelta(days=rng.randint(0, 4 * 365)),
                f"SA-{rng.randint(100000000, 999999999)}",
                "IPA",
                None,
            )
        if staff >= 100 and rng.random() < 0.25:
            issued = as_of - timedelta(days=rng.randint(0, 3 * 365 + 60))
            add_cert(
                sid,
                "iso27001",
                issued,
                f"IS {rng.randint(100000, 999999)}",
                "架空認証機構株式会社",
                "本社及び工場における製品の設計・製造",
            )
        if staff >= 50 and rng.random() < 0.08:
            issued = as_of - timedelta(days=rng.randint(0, 2 * 365 + 60))
            add_cert(sid, "pmark", issued, f"{rng.randint(10000000, 29999999)}(01)", "一般財団法人 架空情報協会", None)
        if tier == 1 or rng.random() < 0.05:
            answers = [rng.random() < 0.3, rng.random() < 0.25, rng.random() < 0.2]
            recommended = 4 if any(answers) else 3
            level, reason = recommended, None
            if recommended == 4 and later.random() < 0.08:
                level, reason = 3, "代替調達先を確保済みのため★3で可とした"
            requested = as_of - timedelta(days=rng.randint(0, 540))
            state = rng.choice(("draft", "sent", "sent", "acknowledged"))
            sent = requested + timedelta(days=later.randint(1, 14)) if state != "draft" else None
            request_rows.append(
                {
                    "request_id": f"R{len(request_rows) + 1:07d}",
                    "supplier_id": sid,
                    "requested_level": level,
                    "requested_on": requested,
                    # due a year later, and never before the scheme starts (no ★ could be had)
                    "due_on": max(requested + timedelta(days=365), start + timedelta(days=180)),
                    "state": state,
                    "holds_confidential_info": answers[0],
                    "outage_delays_buyer": answers[1],
                    "reaches_buyer_network": answers[2],
                    "reason": reason,
                    "decided_by": "調達部 佐藤",
                    "recommended_level": recommended,
                    "sent_on": sent,
                    "acknowledged_on": sent + timedelta(days=later.randint(3, 30)) if state == "acknowledged" else None,
                }
            )
    certificates = pl.DataFrame(
        cert_rows,
        schema={
            "certificate_id": pl.String,
            "supplier_id": pl.String,
            "scheme": pl.String,
            "registration_no": pl.String,
            "issued_on": pl.Date,
            "issuer": pl.String,
            "scope": pl.String,
        },
    )
    requests = pl.DataFrame(request_rows, schema=REQUEST_SCHEMA)
    submissions, answers = _submissions(suppliers, tier_of, seed, as_of)
    blobs, certificate_files = _audit_reports(certificates, seed, as_of)
    return RegistryData(
        contacts=_contacts(ids, tier_of, seed, as_of),
        suppliers=suppliers,
        links=links,
        certificates=certificates,
        requests=requests,
        submissions=submissions,
        answers=answers,
        blobs=blobs,
        certificate_files=certificate_files,
    )


# Fictional contact people: common family and given names, at addresses under example.com (a
# domain reserved for examples, so that no demo e-mail can reach anyone).
_FAMILY = [
    ("佐藤", "sato"),
    ("鈴木", "suzuki"),
    ("高橋", "takahashi"),
    ("田中", "tanaka"),
    ("伊藤", "ito"),
    ("渡辺", "watanabe"),
    ("山本", "yamamoto"),
    ("中村", "nakamura"),
    ("小林", "kobayashi"),
    ("加藤", "kato"),
]
_GIVEN = [("一郎", "ichiro"), ("花子", "hanako"), ("健", "ken"), ("美咲", "misaki"), ("翔", "sho"), ("由美", "yumi")]


def _contacts(ids: Sequence[str], tier_of: Sequence[int], seed: int, as_of: date) -> pl.DataFrame:
    """One contact per supplier (two for tier 1), about one in twelve reading English."""
    rng = random.Random(seed + 2_000_003)  # a stream of its own: the rest of the demo stays as it was
    rows = []
    for supplier_id, tier in zip(ids, tier_of, strict=True):
        for n in range(2 if tier == 1 else 1):
            (family, family_latin), (given, given_latin) = rng.choice(_FAMILY), rng.choice(_GIVEN)
            english = rng.random() < 0.08
            rows.append(
                {
                    "supplier_id": supplier_id,
                    "name": f"{given_latin.title()} {family_latin.title()}" if english else f"{family} {given}",
                    "email": f"{given_latin}.{family_latin}{n or ''}@{supplier_id.lower()}.example.com",
                    "language": "en" if english else "ja",
                    "opted_out_at": None,
                    "created_at": datetime.combine(as_of - timedelta(days=60), time(9)),
                    "created_by": "system:demo",
                }
            )
    return pl.DataFrame(rows, schema=CONTACT_SCHEMA)


def _audit_reports(certificates: pl.DataFrame, seed: int, as_of: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """For about 85 % of ISMS certificates, the report of the latest yearly surveillance audit
    (one shared fictional PDF), attached ten days before the audit was due."""
    report = certificate_pdf(
        ["Surveillance audit report (demo)", "ISO/IEC 27001:2022", "Result: no major nonconformity"]
    )
    digest = hashlib.sha256(report).hexdigest()
    isms = certificates.filter(
        (pl.col("scheme") == "iso27001") & (pl.col("certificate_id").hash(seed) % 100 < 85)
    ).with_columns(years=((pl.lit(as_of) - pl.col("issued_on")).dt.total_days() // 365).cast(pl.Int32))
    attached = isms.filter(pl.col("years") >= 1).select(
        "certificate_id",
        sha256=pl.lit(digest),
        file_name=pl.lit("surveillance_audit.pdf"),
        media_type=pl.lit("application/pdf"),
        attached_at=(
            pl.col("issued_on").dt.offset_by(pl.concat_str(pl.col("years").cast(pl.String), pl.lit("y")))
            - pl.duration(days=10)
        ).cast(pl.Datetime),
        attached_by=pl.lit("demo"),
    )
    blobs = pl.DataFrame(
        {"sha256": [digest], "size_bytes": [len(report)], "data": [report]},
        schema={"sha256": pl.String, "size_bytes": pl.Int64, "data": pl.Binary},
    )
    return blobs, attached


_ANSWER_CHUNK = 10_000  # submissions whose answers are made at once


def _submissions(
    suppliers: pl.DataFrame, tier_of: list[int], seed: int, as_of: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """SCS self-assessments (about 60 % of suppliers, a third of them with an older, superseded
    one) and IPA 自社診断 results (a quarter of the rest), built set-wise: answers come from a
    seeded hash of (supplier, item), skewed by the supplier's size and security staff."""
    catalogue = load_catalogue()
    criteria = pl.DataFrame(
        {"item_id": [c.id for c in catalogue.criteria], "level": [c.level for c in catalogue.criteria]}
    )
    base = suppliers.select("supplier_id", "employees", "has_security_staff").with_columns(
        tier=pl.Series(tier_of, dtype=pl.Int32),
        roll=pl.col("supplier_id").hash(seed) % 1000,
        # How mature the supplier's security is: 0.2–0.95 by size and staff.
        maturity=(
            0.2
            + 0.1 * pl.col("employees").cast(pl.Float64).log10()
            + pl.col("has_security_staff").cast(pl.Float64) * 0.3
        ).clip(0.2, 0.95),
    )
    scs = base.filter(pl.col("roll") < 600).with_columns(
        level=pl.when((pl.col("tier") == 1) & (pl.col("roll") % 3 == 0)).then(4).otherwise(3).cast(pl.Int32),
        age=(pl.col("supplier_id").hash(seed + 1) % 500).cast(pl.Int32),
        round=pl.lit(0, dtype=pl.Int32),
    )
    older = scs.filter(pl.col("roll") % 3 == 1).with_columns(age=pl.col("age") + 365, round=pl.lit(1, dtype=pl.Int32))
    ipa = base.filter((pl.col("roll") >= 600) & (pl.col("roll") < 700)).with_columns(
        level=pl.lit(None, dtype=pl.Int32),
        age=(pl.col("supplier_id").hash(seed + 2) % 400).cast(pl.Int32),
        round=pl.lit(2, dtype=pl.Int32),
    )
    subs = (
        pl.concat([scs, older, ipa])
        .with_row_index("submission_id", offset=1)
        .with_columns(
            pl.col("submission_id").cast(pl.Int64),
            framework_id=pl.when(pl.col("round") == 2).then(pl.lit("ipa_5min")).otherwise(pl.lit("scs")),
            submitted_on=pl.lit(as_of) - pl.duration(days=pl.col("age")),
        )
    )

    def scs_answers_of(chunk: pl.DataFrame) -> pl.DataFrame:
        return (
            chunk.join(criteria, how="cross")
            .filter(pl.col("level_right") <= pl.col("level"))
            .with_columns(draw=(pl.concat_str("supplier_id", "item_id", "round").hash(seed) % 1000) / 1000)
            .with_columns(
                status=pl.when(pl.col("draw") < 0.05)
                .then(pl.lit("unknown"))
                .when(pl.col("draw") < 0.05 + pl.col("maturity") * 0.85)
                .then(pl.lit("met"))
                .when(pl.col("draw") < 0.15 + pl.col("maturity") * 0.85)
                .then(pl.lit("partial"))
                .otherwise(pl.lit("not_met"))
            )
            .select(
                "submission_id",
                "item_id",
                raw_answer=pl.col("status").replace_strict(
                    {"met": "○", "partial": "△", "not_met": "✖", "unknown": None}, return_dtype=pl.String
                ),
                status="status",
            )
        )

    # A chunk at a time: the cross join's working columns for every submission at once peaked at
    # 2 GB at 100,000 suppliers; only the four answer columns are kept.
    scs_subs = subs.filter(pl.col("framework_id") == "scs").select(
        "submission_id", "supplier_id", "round", "level", "maturity"
    )
    scs_answers = pl.concat(
        [scs_answers_of(chunk) for chunk in scs_subs.iter_slices(_ANSWER_CHUNK)] or [scs_answers_of(scs_subs)]
    )
    ipa_labels = {
        "met": "実施している",
        "partial": "一部実施している",
        "not_met": "実施していない",
        "unknown": "わからない",
    }
    ipa_answers = (
        subs.filter(pl.col("framework_id") == "ipa_5min")
        .join(pl.DataFrame({"item_id": [str(n) for n in range(1, 26)]}), how="cross")
        .with_columns(draw=(pl.concat_str("supplier_id", "item_id").hash(seed + 3) % 1000) / 1000)
        .with_columns(
            status=pl.when(pl.col("draw") < 0.08)
            .then(pl.lit("unknown"))
            .when(pl.col("draw") < 0.08 + pl.col("maturity"))
            .then(pl.lit("met"))
            .when(pl.col("draw") < 0.18 + pl.col("maturity"))
            .then(pl.lit("partial"))
            .otherwise(pl.lit("not_met"))
        )
        .with_columns(raw_answer=pl.col("status").replace_strict(ipa_labels, return_dtype=pl.String))
    )
    answers = pl.concat(
        [f.select("submission_id", "item_id", "raw_answer", "status") for f in (scs_answers, ipa_answers)]
    ).with_columns(location=pl.lit(None, dtype=pl.String))
    # The self-check's total and band, as the importer computes them from the same answers.
    check = load_ipa_5min()
    points = {a.label: a.score for a in check.answers}
    band = pl.lit(None, dtype=pl.String)
    for b in check.bands:
        band = pl.when(pl.col("score").is_between(b.min, b.max)).then(pl.lit(b.label_ja)).otherwise(band)
    totals = (
        ipa_answers.group_by("submission_id")
        .agg(score=pl.col("raw_answer").replace_strict(points, return_dtype=pl.Int32).sum())
        .with_columns(band=band)
    )
    subs = subs.join(totals, on="submission_id", how="left")
    submissions = subs.select(
        "submission_id",
        "supplier_id",
        "framework_id",
        framework_version=pl.when(pl.col("framework_id") == "scs")
        .then(pl.lit(catalogue.version))
        .otherwise(pl.lit("2019")),
        catalogue_version=pl.when(pl.col("framework_id") == "scs").then(pl.lit(catalogue.version)),
        level="level",
        score="score",
        band="band",
        submitted_on="submitted_on",
        source_name=pl.concat_str(pl.col("supplier_id"), pl.lit("_"), pl.col("framework_id"), pl.lit(".xlsx")),
        sha256=pl.lit("demo"),
        format=pl.lit("demo"),
        imported_at=pl.lit(datetime.combine(as_of, datetime.min.time())),
        imported_by=pl.lit("demo"),
    )
    return submissions, answers


def certificate_pdf(lines: Sequence[str]) -> bytes:
    """A synthetic one-page PDF with the given ASCII lines (a stand-in for a scanned-in certificate's text layer)."""
    content = (
        "BT /F1 12 Tf 50 780 Td 16 TL "
        + " ".join("(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '" for line in lines)
        + " ET"
    )
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(content.encode('latin-1'))} >>\nstream\n{content}\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
