"""Silver published versions of one key -> gold symbology rows (pure, per key, no I/O).

The rule (ADR 0009): gold's belief at system time s is a function of silver's belief at s and
of the alias table as known at s (alias rows count from their own `recorded_at`, ADR 0007):

1. every silver published version believed at s maps to a canonical ID; a version whose valid
   interval contains a change of meaning of one of its asset codes (an alias row's valid
   bound, e.g. Binance LUNA on 2022-05-28) is cut there, each piece resolved at its start; a
   DELISTED gap keeps the mapping of the instant before it (the last listed meaning);
2. adjacent pieces with the same mapping (same lifetime, basis and every mapping column) are
   one mapping row;
3. system time: at each instant where silver's belief or the alias table changes, the mapping
   rows are recomputed and diffed by content: a row that disappears is superseded there, a new
   one is recorded there. Rows carry no wall-clock time, so rebuilding from silver gives the
   same rows, ids included.

`derive_key` gives the complete history of one key; `plan_key` diffs it against what gold
holds (incremental runs) and refuses to rewrite published history.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from refdata.bitemporal.rows import VersionRow, closed_end, open_end, stable_id
from refdata.domain import InstrumentClass, InstrumentSpec, OptionRight, Settlement, Status
from refdata.errors import RefdataError
from refdata.symbology import (
    DEFAULT_USD_EQUIVALENTS,
    AssetAlias,
    AssetResolver,
    NormalizedAsset,
    build_canonical_id,
    usd_equivalence_group,
)
from refdata.symbology.assets import FOREVER_END, FOREVER_START

ONE_MICROSECOND = timedelta(microseconds=1)
Key = tuple[str, str]


class GoldHistoryConflict(RefdataError):
    """Recomputing a key would change gold rows already believed at published system times.

    Gold never deletes or rewrites a row; this happens only when an input changed its past:
    an alias-table row recorded (or edited) with a `recorded_at` at or below the venue's watermark,
    a changed USD-equivalent set, or silver rows rewritten in place.
    """


@dataclass(frozen=True)
class Mapped:
    """Everything a mapping row says about (venue, symbol) over its valid interval."""

    lifetime_id: str | None
    basis: str
    canonical_id: str | None
    id_error: str | None
    instrument_class: str | None
    settlement: str | None
    base_asset: str | None
    quote_asset: str | None
    settle_asset: str | None
    base_code: str | None
    quote_code: str | None
    settle_code: str | None
    base_multiplier: int | None
    quote_multiplier: int | None
    expiry: datetime | None
    strike: str | None  # normalized plain decimal text; Decimal in records
    option_right: str | None
    usd_equivalent_group: str | None
    is_exact_usd: bool
    usd_substituted: tuple[str, ...]
    unknown_assets: tuple[str, ...]
    asset_rules: tuple[str, ...]

    def content_hash(self) -> str:
        data = {k: (v.isoformat() if isinstance(v, datetime) else list(v) if isinstance(v, tuple) else v)
                for k, v in asdict(self).items()}
        payload = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class SymbologyRow:
    """One gold.symbology row. Immutable except `superseded_at`, set once."""

    mapping_id: str
    venue: str
    symbol: str
    valid_from: datetime
    valid_to: datetime | None
    recorded_at: datetime
    superseded_at: datetime | None
    mapped: Mapped
    content_hash: str

    @property
    def key(self) -> Key:
        return (self.venue, self.symbol)

    @property
    def canonical_id(self) -> str | None:
        return self.mapped.canonical_id


def make_symbology_row(venue: str, symbol: str, valid_from: datetime, valid_to: datetime | None,
                       recorded_at: datetime, mapped: Mapped,
                       superseded_at: datetime | None = None) -> SymbologyRow:
    content = mapped.content_hash()
    mapping_id = stable_id("gm", venue, symbol, valid_from, valid_to, recorded_at, content)
    return SymbologyRow(mapping_id, venue, symbol, valid_from, valid_to, recorded_at,
                        superseded_at, mapped, content)


# ---- one version -> mapping pieces ----------------------------------------------------------


def _enum(kind: type, value: Any) -> Any:
    return None if value is None else kind(value)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _timestamp(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def spec_of(row: VersionRow) -> InstrumentSpec:
    """The fields of a silver version that identify the instrument, as a domain spec."""
    v = row.values
    missing = [name for name in ("instrument_class", "base_asset", "quote_asset") if not v.get(name)]
    if missing:
        raise ValueError(f"{row.venue} {row.symbol}: no {', '.join(missing)} "
                         f"(basis {row.basis}: the version does not know the instrument)")
    return InstrumentSpec(
        venue=row.venue, symbol=row.symbol,
        instrument_class=InstrumentClass(v["instrument_class"]),
        settlement=_enum(Settlement, v.get("settlement")),
        base_asset=v["base_asset"], quote_asset=v["quote_asset"], settle_asset=v.get("settle_asset"),
        status_raw=v.get("status_raw"), status=_enum(Status, v.get("status")) or Status.ACTIVE,
        expiry=_timestamp(v.get("expiry")), strike=_decimal(v.get("strike")),
        option_right=_enum(OptionRight, v.get("option_right")),
    )


def _rule_text(role: str, code: str, asset: NormalizedAsset) -> str:
    if asset.rule is None:
        return f"{role}:{code} (unknown)"
    unit = "" if asset.multiplier == 1 else f" x{format(asset.multiplier.normalize(), 'f')}"
    return f"{role}:{code}->{asset.canonical}{unit} ({asset.kind}, {asset.rule.exchange})"


def _multiplier(asset: NormalizedAsset | None) -> int | None:
    if asset is None or asset.multiplier != asset.multiplier.to_integral_value():
        return None
    return int(asset.multiplier)


class Mapper:
    """Maps silver versions with one alias table and one USD-equivalent set (memoized)."""

    def __init__(self, aliases: Iterable[AssetAlias],
                 usd_equivalents: Iterable[str] = DEFAULT_USD_EQUIVALENTS) -> None:
        self.aliases = tuple(aliases)
        self.resolver = AssetResolver(self.aliases)
        self.usd_equivalents = frozenset(usd_equivalents)
        self._by_code: dict[str, list[AssetAlias]] = {}
        for alias in self.aliases:
            self._by_code.setdefault(alias.code, []).append(alias)
        self._memo: dict[tuple[Any, ...], Mapped] = {}

    # -- alias rows that matter to a key ----------------------------------------------------

    def relevant_aliases(self, venue: str, codes: Iterable[str | None]) -> list[AssetAlias]:
        return [a for code in set(codes) if code for a in self._by_code.get(code, ())
                if a.scope_rank(venue) is not None]

    # -- mapping ----------------------------------------------------------------------------

    def mapped(self, row: VersionRow, at: datetime, known_at: datetime) -> Mapped:
        """The mapping of `row` with its asset codes resolved at valid time `at`, as known at
        system time `known_at` (alias rows recorded after it do not count)."""
        v = row.values
        memo_key = (row.venue, row.symbol, row.lifetime_id, row.basis,
                    tuple(sorted((k, v.get(k)) for k in ("instrument_class", "settlement", "base_asset",
                                                        "quote_asset", "settle_asset", "expiry",
                                                        "strike", "option_right"))),
                    at, self._alias_epoch(row, known_at))
        found = self._memo.get(memo_key)
        if found is None:
            found = self._memo[memo_key] = self._compute(row, at, known_at)
        return found

    def _alias_epoch(self, row: VersionRow, known_at: datetime) -> tuple[datetime, ...]:
        codes = (row.values.get("base_asset"), row.values.get("quote_asset"), row.values.get("settle_asset"))
        return tuple(sorted({a.recorded_at for a in self.relevant_aliases(row.venue, codes)
                             if a.recorded_at <= known_at}))

    def _resolve(self, venue: str, code: str | None, at: datetime,
                 known_at: datetime) -> NormalizedAsset | None:
        if not code:
            return None
        try:
            return self.resolver(venue, code, at, known_at=known_at)
        except ValueError:
            return None

    def _compute(self, row: VersionRow, at: datetime, known_at: datetime) -> Mapped:
        v = row.values
        codes = {"base": v.get("base_asset"), "quote": v.get("quote_asset"), "settle": v.get("settle_asset")}
        resolved = {role: self._resolve(row.venue, code, at, known_at) for role, code in codes.items()}
        canonical_id = error = None
        settle_asset = resolved["settle"].canonical if resolved["settle"] else None
        group = None
        try:
            spec = spec_of(row)
            built = build_canonical_id(
                spec, lambda exchange, code, when: self.resolver(exchange, code, when, known_at=known_at), at
            )
        except ValueError as exc:
            error = str(exc)
        else:
            canonical_id = built.text
            settle_asset = built.parts.settle
            resolved["settle"] = built.settle  # the default (base or quote) if none listed; None for spot
            group = usd_equivalence_group(built.parts, self.usd_equivalents)
        unknown = tuple(dict.fromkeys(
            a.canonical for a in resolved.values() if a is not None and not a.known
        ))
        rules = tuple(_rule_text(role, codes[role] or resolved[role].canonical, resolved[role])  # type: ignore[union-attr]
                      for role in ("base", "quote", "settle") if resolved[role] is not None)
        strike = v.get("strike")
        return Mapped(
            lifetime_id=row.lifetime_id,
            basis=row.basis,
            canonical_id=canonical_id,
            id_error=error,
            instrument_class=v.get("instrument_class"),
            settlement=v.get("settlement"),
            base_asset=resolved["base"].canonical if resolved["base"] else None,
            quote_asset=resolved["quote"].canonical if resolved["quote"] else None,
            settle_asset=settle_asset,
            base_code=codes["base"],
            quote_code=codes["quote"],
            settle_code=codes["settle"],
            base_multiplier=_multiplier(resolved["base"]),
            quote_multiplier=_multiplier(resolved["quote"]),
            expiry=_timestamp(v.get("expiry")),
            strike=None if strike is None else format(Decimal(str(strike)).normalize(), "f"),
            option_right=v.get("option_right"),
            usd_equivalent_group=group.group_id if group else None,
            is_exact_usd=bool(group and group.exact),
            usd_substituted=group.substituted if group else (),
            unknown_assets=unknown,
            asset_rules=rules,
        )

    def pieces(self, row: VersionRow, known_at: datetime) -> list[tuple[datetime, datetime, Mapped]]:
        """[start, end) pieces of one silver version, end FOREVER when open."""
        start, end = row.valid_from, closed_end(row.valid_to)
        if row.basis == "delisted":
            # The gap carries the last listed fields; their meaning is the last listed one.
            return [(start, end, self.mapped(row, start - ONE_MICROSECOND, known_at))]
        codes = (row.values.get("base_asset"), row.values.get("quote_asset"), row.values.get("settle_asset"))
        cuts = {start, end}
        for alias in self.relevant_aliases(row.venue, codes):
            if alias.recorded_at > known_at:
                continue
            for bound in (alias.valid_from, alias.valid_to):
                if bound not in (FOREVER_START, FOREVER_END) and start < bound < end:
                    cuts.add(bound)
        ordered = sorted(cuts)
        out: list[tuple[datetime, datetime, Mapped]] = []
        for lo, hi in zip(ordered, ordered[1:]):
            mapped = self.mapped(row, lo, known_at)
            if out and out[-1][1] == lo and out[-1][2] == mapped:
                out[-1] = (out[-1][0], hi, mapped)
            else:
                out.append((lo, hi, mapped))
        return out

    def belief(self, rows: Iterable[VersionRow], s: datetime) -> list[tuple[datetime, datetime, Mapped]]:
        """Mapping rows (valid intervals) of one key for the silver rows believed at s."""
        believed = sorted(
            (r for r in rows if r.layer == "published" and r.recorded_at <= s
             and (r.superseded_at is None or s < r.superseded_at)),
            key=lambda r: (r.valid_from, closed_end(r.valid_to), r.version_id),
        )
        out: list[tuple[datetime, datetime, Mapped]] = []
        for row in believed:
            for lo, hi, mapped in self.pieces(row, s):
                # Adjacent versions with the same mapping are one row. Overlapping versions (a
                # silver inconsistency) are kept apart: the gate reports them.
                if out and out[-1][1] == lo and out[-1][2] == mapped:
                    out[-1] = (out[-1][0], hi, mapped)
                else:
                    out.append((lo, hi, mapped))
        return out

    # -- full history of one key ------------------------------------------------------------

    def derive_key(self, rows: Sequence[VersionRow]) -> list[SymbologyRow]:
        """Every gold row of one key (history included), from all its silver published rows."""
        rows = [r for r in rows if r.layer == "published"]
        if not rows:
            return []
        venue, symbol = rows[0].venue, rows[0].symbol
        if any(r.key != (venue, symbol) for r in rows):
            raise ValueError(f"rows of several keys given for {venue} {symbol}")
        first = min(r.recorded_at for r in rows)
        codes = {r.values.get(name) for r in rows for name in ("base_asset", "quote_asset", "settle_asset")}
        breakpoints = {r.recorded_at for r in rows} | {r.superseded_at for r in rows if r.superseded_at}
        breakpoints |= {a.recorded_at for a in self.relevant_aliases(venue, codes) if a.recorded_at > first}
        open_rows: dict[tuple[datetime, datetime, Mapped], datetime] = {}  # -> recorded_at
        done: list[SymbologyRow] = []
        for s in sorted(breakpoints):
            now = set(self.belief(rows, s))
            for item in [item for item in open_rows if item not in now]:
                lo, hi, mapped = item
                done.append(make_symbology_row(venue, symbol, lo, open_end(hi), open_rows.pop(item),
                                               mapped, superseded_at=s))
            for item in now:
                open_rows.setdefault(item, s)
        for (lo, hi, mapped), recorded in open_rows.items():
            done.append(make_symbology_row(venue, symbol, lo, open_end(hi), recorded, mapped))
        return sorted(done, key=lambda r: (r.recorded_at, r.valid_from, r.mapping_id))


# ---- evaluation and incremental planning ----------------------------------------------------


def rows_at(rows: Iterable[SymbologyRow], v: datetime, s: datetime) -> list[SymbologyRow]:
    """Gold rows believed at system time s whose valid interval contains v."""
    return [r for r in rows if r.recorded_at <= s and (r.superseded_at is None or s < r.superseded_at)
            and r.valid_from <= v < closed_end(r.valid_to)]


@dataclass(frozen=True)
class KeyPlan:
    to_insert: tuple[SymbologyRow, ...] = ()
    to_supersede: tuple[tuple[str, datetime], ...] = ()  # (mapping_id, superseded_at)

    @property
    def is_empty(self) -> bool:
        return not self.to_insert and not self.to_supersede


def _describe(row: SymbologyRow) -> str:
    return (f"{row.mapping_id} [{row.valid_from}, {row.valid_to}) known [{row.recorded_at}, "
            f"{row.superseded_at}) -> {row.canonical_id or row.mapped.id_error}")


def plan_key(existing: Iterable[SymbologyRow], desired: Iterable[SymbologyRow],
             watermark: datetime | None) -> KeyPlan:
    """What to write so that gold holds `desired` for one key, given what it holds.

    `watermark` is the key's venue's: the greatest system time of the venue's silver rows that
    the previous run read (`silver_watermarks`), None if it read none. Allowed: inserting rows
    recorded after it, setting a current row's superseded_at to a time after it. Anything else
    would change what gold said at a published system time, and raises `GoldHistoryConflict`
    naming the rows.
    """
    have = {r.mapping_id: r for r in existing}
    want = {r.mapping_id: r for r in desired}
    problems: list[str] = []
    inserts: list[SymbologyRow] = []
    supersedes: list[tuple[str, datetime]] = []
    for mapping_id, row in want.items():
        held = have.get(mapping_id)
        if held is None:
            if watermark is not None and row.recorded_at <= watermark:
                problems.append(f"missing row recorded at or before the watermark {watermark}: {_describe(row)}")
            else:
                inserts.append(row)
        elif held.superseded_at != row.superseded_at:
            if held.superseded_at is None and row.superseded_at is not None and (
                watermark is None or row.superseded_at > watermark
            ):
                supersedes.append((mapping_id, row.superseded_at))
            else:
                problems.append(f"superseded_at would change from {held.superseded_at} to "
                                f"{row.superseded_at}: {_describe(held)}")
    for mapping_id, held in have.items():
        if mapping_id not in want:
            problems.append(f"held row no longer derivable: {_describe(held)}")
    if problems:
        venue, symbol = next(iter((want or have).values())).key
        raise GoldHistoryConflict(
            f"gold history conflict for {venue} {symbol} (gold never rewrites a published belief; "
            "was an alias row recorded or edited with a recorded_at at or below the venue's watermark?): "
            + "; ".join(problems[:5]) + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else "")
        )
    return KeyPlan(tuple(sorted(inserts, key=lambda r: (r.recorded_at, r.valid_from))), tuple(sorted(supersedes)))


def apply_plan(table: Mapping[str, SymbologyRow], plan: KeyPlan) -> dict[str, SymbologyRow]:
    """What the job's MERGE does, in memory (tests)."""
    from dataclasses import replace

    out = dict(table)
    for mapping_id, at in plan.to_supersede:
        out[mapping_id] = replace(out[mapping_id], superseded_at=at)
    for row in plan.to_insert:
        if row.mapping_id in out:
            raise ValueError(f"row {row.mapping_id} inserted twice")
        out[row.mapping_id] = row
    return out


# ---- records (Iceberg / Spark rows) ---------------------------------------------------------


def to_record(row: SymbologyRow) -> dict[str, Any]:
    m = row.mapped
    return {
        "mapping_id": row.mapping_id, "venue": row.venue, "symbol": row.symbol,
        "lifetime_id": m.lifetime_id, "valid_from": row.valid_from, "valid_to": row.valid_to,
        "recorded_at": row.recorded_at, "superseded_at": row.superseded_at, "basis": m.basis,
        "canonical_id": m.canonical_id, "id_error": m.id_error,
        "instrument_class": m.instrument_class, "settlement": m.settlement,
        "base_asset": m.base_asset, "quote_asset": m.quote_asset, "settle_asset": m.settle_asset,
        "base_code": m.base_code, "quote_code": m.quote_code, "settle_code": m.settle_code,
        "base_multiplier": m.base_multiplier, "quote_multiplier": m.quote_multiplier,
        "expiry": m.expiry, "strike": None if m.strike is None else Decimal(m.strike),
        "option_right": m.option_right, "usd_equivalent_group": m.usd_equivalent_group,
        "is_exact_usd": m.is_exact_usd, "usd_substituted": list(m.usd_substituted),
        "unknown_assets": list(m.unknown_assets), "asset_rules": list(m.asset_rules),
        "content_hash": row.content_hash,
    }


def from_record(record: Mapping[str, Any]) -> SymbologyRow:
    strike = record["strike"]
    mapped = Mapped(
        lifetime_id=record["lifetime_id"], basis=record["basis"],
        canonical_id=record["canonical_id"], id_error=record["id_error"],
        instrument_class=record["instrument_class"], settlement=record["settlement"],
        base_asset=record["base_asset"], quote_asset=record["quote_asset"],
        settle_asset=record["settle_asset"], base_code=record["base_code"],
        quote_code=record["quote_code"], settle_code=record["settle_code"],
        base_multiplier=record["base_multiplier"], quote_multiplier=record["quote_multiplier"],
        expiry=record["expiry"],
        strike=None if strike is None else format(Decimal(str(strike)).normalize(), "f"),
        option_right=record["option_right"], usd_equivalent_group=record["usd_equivalent_group"],
        is_exact_usd=bool(record["is_exact_usd"]),
        usd_substituted=tuple(record["usd_substituted"] or ()),
        unknown_assets=tuple(record["unknown_assets"] or ()),
        asset_rules=tuple(record["asset_rules"] or ()),
    )
    return SymbologyRow(record["mapping_id"], record["venue"], record["symbol"], record["valid_from"],
                        record["valid_to"], record["recorded_at"], record["superseded_at"], mapped,
                        record["content_hash"])


def _system_times(row: VersionRow) -> tuple[datetime, ...]:
    return (row.recorded_at,) if row.superseded_at is None else (row.recorded_at, row.superseded_at)


Watermarks = Mapping[str, datetime]
"""Per venue, the greatest silver system time a gold run has reflected (ADR 0009 Decision 4)."""


def silver_watermarks(rows: Iterable[VersionRow]) -> dict[str, datetime]:
    """Per venue, the greatest system time (recorded_at or superseded_at) of silver's published
    rows: what a run that read `rows` has reflected (the job computes it in SQL over its pinned
    snapshot).

    Per venue, because silver's belief is final per venue only: the silver job processes each
    venue's events above that venue's own watermark, and a run may cover some venues only, so
    rows of a lagging venue are later recorded below the times other venues have reached. They
    are never recorded below the venue's own greatest time (ADR 0005 Decision 4, ADR 0010).
    """
    out: dict[str, datetime] = {}
    for row in rows:
        if row.layer == "published":
            latest = max(_system_times(row))
            if row.venue not in out or out[row.venue] < latest:
                out[row.venue] = latest
    return out


def venue_watermark(watermarks: Watermarks | None, venue: str) -> datetime | None:
    """The venue's watermark; None (nothing of it reflected yet) if it has none."""
    return None if watermarks is None else watermarks.get(venue)


def changed_keys(rows: Iterable[VersionRow], watermarks: Watermarks | None) -> set[Key]:
    """Keys with a published silver row recorded or superseded after its venue's watermark
    (every key of a venue without one): the keys an incremental run recomputes (the job's SQL
    filter)."""
    out: set[Key] = set()
    for row in rows:
        if row.layer == "published":
            watermark = venue_watermark(watermarks, row.venue)
            if watermark is None or any(t > watermark for t in _system_times(row)):
                out.add(row.key)
    return out


@dataclass
class RunPlan:
    """The plan of one run over many keys."""

    inserts: list[SymbologyRow] = field(default_factory=list)
    supersedes: list[tuple[str, datetime]] = field(default_factory=list)
    keys: int = 0

    @property
    def is_empty(self) -> bool:
        return not self.inserts and not self.supersedes


def plan_run(silver_by_key: Mapping[Key, Sequence[VersionRow]],
             gold_by_key: Mapping[Key, Sequence[SymbologyRow]],
             mapper: Mapper, watermarks: Watermarks | None,
             on_key: Callable[[Key], None] | None = None) -> RunPlan:
    """Recompute every key in `silver_by_key` (plus gold keys without silver rows) and diff,
    each key against its venue's watermark (`silver_watermarks` of the silver the previous run
    read; None for a first run)."""
    plan = RunPlan()
    for key in sorted(set(silver_by_key) | set(gold_by_key)):
        desired = mapper.derive_key(silver_by_key.get(key, ()))
        key_plan = plan_key(gold_by_key.get(key, ()), desired, venue_watermark(watermarks, key[0]))
        plan.inserts.extend(key_plan.to_insert)
        plan.supersedes.extend(key_plan.to_supersede)
        plan.keys += 1
        if on_key is not None:
            on_key(key)
    return plan
