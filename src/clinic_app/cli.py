"""The ``clinic-app`` command line: the same core as the window, for county staff and tests.

Every command takes ``--db PATH`` (default: the user data folder) and ``--json`` for output a
script can read. Errors go to stderr in Chinese with exit code 1 (2 for bad usage); a database
problem found by ``check`` exits 3; ``import-roster`` exits 4 when it imported but rejected
some rows. Read-only commands refuse a --db file that does not exist. With no command the
window opens.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clinic_app import __version__
from clinic_app.clinic import Clinic, default_db_path
from clinic_app.domain import codes
from clinic_app.domain.policy import RULE_GROUPS, PolicyError, RuleSpec, format_value, load_library
from clinic_app.errors import ClinicError
from clinic_app.progress import Progress
from clinic_app.storage.db import StorageError

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CHECK_FAILED = 3
EXIT_ROWS_REJECTED = 4  # import-roster: imported, but some rows were rejected


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"命令用法错误：{message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _common(parser: argparse.ArgumentParser, *, json_flag: bool = True) -> None:
    parser.add_argument("--db", type=Path, default=None,
                        help=f"数据库文件（默认 {default_db_path()}）")
    if json_flag:
        parser.add_argument("--json", action="store_true", help="以 JSON 输出，便于脚本读取")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="clinic-app", description="村医签约随访登记（命令行）")
    parser.add_argument("--version", action="version", version=f"clinic-app {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    gui = sub.add_parser("gui", help="打开窗口（不带命令时的默认动作）")
    _common(gui, json_flag=False)
    gui.add_argument("--demo-if-empty", action="store_true",
                     help="数据库为空时先生成一个演示乡镇")

    demo = sub.add_parser("demo", help="生成演示乡镇数据")
    _common(demo)
    demo.add_argument("--residents", type=int, default=3000, help="居民人数（默认 3000）")
    demo.add_argument("--seed", type=int, default=1, help="随机种子（相同种子生成相同数据）")
    demo.add_argument("--profile", default="national", help="政策配置（见 policy list）")

    search = sub.add_parser(
        "search", help="查找居民：拼音首字母、全拼、姓名、身份证号、电话、户编号")
    _common(search)
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=20)

    imp = sub.add_parser("import-roster", help="导入（或再次导入）扶贫办的建档立卡名单")
    _common(imp)
    imp.add_argument("file", type=Path, help="名单文件（.xlsx 或 .csv）")
    imp.add_argument("--village", default=None, help="只导入这个村的行")
    imp.add_argument("--errors", type=Path, default=None,
                     help="把未导入的行（原始内容加原因）保存到这个 .xlsx")
    imp.add_argument("--dry-run", action="store_true", help="只检查，不写入")

    overdue = sub.add_parser("overdue", help="今日待办：逾期和本周应随访的慢病患者，按风险排序")
    _common(overdue)
    overdue.add_argument("--as-of", type=_date_arg, default=None, help="按哪天计算（默认今天）")
    overdue.add_argument("--village", default=None, help="只列出这个村")
    overdue.add_argument("--within", type=int, default=None,
                         help="包括几天内到期的（默认按政策配置，一般7天）")

    check = sub.add_parser("check", help="检查数据库完整性并统计记录数")
    _common(check)

    policy = sub.add_parser("policy", help="政策配置")
    policy_sub = policy.add_subparsers(dest="policy_command", parser_class=_Parser, required=True)
    plist = policy_sub.add_parser("list", help="列出所有政策配置")
    plist.add_argument("--json", action="store_true")
    pshow = policy_sub.add_parser("show", help="显示一个配置的全部规则及出处")
    pshow.add_argument("name")
    pshow.add_argument("--json", action="store_true")
    return parser


def _date_arg(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 2026-11-23，而不是 {text}") from None


def _village_id(clinic: Clinic, name: str | None) -> str | None:
    if not name:
        return None
    matches = [p for p in clinic.places("village") if p.name == name]
    if not matches:
        known = "、".join(p.name for p in clinic.places("village")[:20])
        raise ClinicError(f"没有名为“{name}”的村（已有：{known or '无'}）")
    return matches[0].id


def _stderr_progress(args: argparse.Namespace) -> Progress:
    """Progress for long commands: one updating line on stderr, at most once a second."""
    last = [0.0]

    def report(done: int, total: int, message: str) -> None:
        if not args.json and time.perf_counter() - last[0] > 1:
            last[0] = time.perf_counter()
            print(f"\r{message}：{done}/{total}", end="", file=sys.stderr, flush=True)

    return Progress(report)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# Commands that only read must not create an empty register from a mistyped --db.
READ_ONLY = ("search", "check", "overdue")


def _open(args: argparse.Namespace) -> Clinic:
    if args.command in READ_ONLY and args.db is not None and not Path(args.db).exists():
        raise ClinicError(f"数据库文件不存在：{args.db}（请检查路径）")
    return Clinic.open(args.db)


def cmd_demo(args: argparse.Namespace) -> int:
    from clinic_app import demo

    if args.residents < 1:
        raise ClinicError("居民人数至少为 1")
    started = time.perf_counter()
    with _open(args) as clinic:
        try:
            summary = demo.generate(clinic, args.residents, args.seed, args.profile,
                                    _stderr_progress(args))
        except ValueError as exc:
            raise ClinicError(str(exc)) from None
    summary.seconds = round(time.perf_counter() - started, 1)
    if args.json:
        _print_json(summary.__dict__)
    else:
        print(f"\r已生成演示乡镇：{summary.villages} 个村，{summary.households} 户，"
              f"{summary.residents} 人，用时 {summary.seconds} 秒", file=sys.stderr)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    with _open(args) as clinic:
        rows = clinic.search(args.query, args.limit)
    if args.json:
        _print_json([{
            "id": r["id"], "name": r["name"], "sex": r["sex"], "age": r["age"],
            "id_number_masked": r["masked_id"], "village": r["village"],
            "household_no": r["household_no"], "head": r["head_name"],
            "conditions": r["conditions"], "contract_status": r["contract_status"],
            "next_follow_up": r["next_follow_up"], "status": r["status"],
            "rank": r["rank"]} for r in rows])
        return 0
    if not rows:
        print(f"没有找到与“{args.query}”匹配的居民", file=sys.stderr)
        return 0
    for r in rows:
        print(f"{r['name']}\t{r['sex']}\t{r['age'] if r['age'] is not None else ''}岁\t"
              f"{r['masked_id']}\t{r['village'] or ''}\t户主:{r['head_name'] or ''}\t"
              f"{'、'.join(r['conditions'])}\t"
              f"{codes.label(codes.CONTRACT_STATUS, r['contract_status'], '未签约')}\t"
              f"{codes.label(codes.RESIDENT_STATUS, r['status'])}")
    return 0


def cmd_import_roster(args: argparse.Namespace) -> int:
    from clinic_app import roster

    with _open(args) as clinic:
        report = clinic.import_roster(args.file, village=args.village, dry_run=args.dry_run,
                                      progress=_stderr_progress(args))
    if args.errors is not None and report.errors:
        roster.write_error_report(report, args.errors)
    rejected = EXIT_ROWS_REJECTED if report.errors else 0
    if args.json:
        _print_json(report.to_json())
        return rejected
    verb = "将" if args.dry_run else "已"
    print(f"\r\033[K读取 {report.rows_read} 行：{verb}新增 {report.imported} 人（新户 "
          f"{report.households}），{verb}更新 {report.updated} 人，无变化 {report.unchanged} 人，"
          f"未导入 {report.rejected} 行", file=sys.stderr)
    for issue in report.errors:
        print(f"第{issue.row}行 {issue.column}：{issue.reason}")
    for issue in report.warnings:
        print(f"提醒 第{issue.row}行 {issue.column}：{issue.reason}")
    if report.missing_from_roster:
        print(f"不在新名单中的 {len(report.missing_from_roster)} 人（未删除，请核实是否脱贫、"
              "死亡或迁出）：", file=sys.stderr)
        for person in report.missing_from_roster:
            print(f"  {person.get('name', '')}\t{person.get('village', '')}\t"
                  f"{person.get('household_no', '')}")
    if args.errors is not None and report.errors:
        print(f"错误报告已保存到 {args.errors}", file=sys.stderr)
    return rejected


RISK_LABELS = {0: "危急", 1: "需转诊", 2: "控制不满意", 3: "常规"}


def cmd_overdue(args: argparse.Namespace) -> int:
    with _open(args) as clinic:
        items = clinic.work_list(args.as_of, village_id=_village_id(clinic, args.village),
                                 due_within=args.within)
    if args.json:
        _print_json([{k: v for k, v in item.items() if k != "contact"} | {
            "risk_label": RISK_LABELS[item["risk"]],
            "contact": item["contact"]["outcome"] if item.get("contact") else None}
            for item in items])
        return 0
    if not items:
        print("没有逾期或本周应随访的患者", file=sys.stderr)
    for item in items:
        when = f"逾期{item['overdue_days']}天" if item["status"] == "overdue" else \
            f"{item['due_on']}到期"
        print(f"{RISK_LABELS[item['risk']]}\t{item['name']}\t{item['age']}岁\t"
              f"{'、'.join(item['conditions'])}\t{when}\t血压{item['last_bp'] or '-'}\t"
              f"血糖{item['last_glucose'] or '-'}\t"
              f"{item['phone']}\t{item['village']}{item['group_name']}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    with _open(args) as clinic:
        report = clinic.check()
    if args.json:
        _print_json({"ok": report.ok, "problems": report.problems, "counts": report.counts,
                     "schema": report.schema, "path": report.path})
    else:
        print(f"数据库：{report.path}")
        print(f"结构版本：{', '.join(report.schema)}")
        for table, count in report.counts.items():
            print(f"  {table}: {count}")
        if report.ok:
            print("检查通过：文件完整，关联正确。")
        for problem in report.problems:
            print(f"问题：{problem}", file=sys.stderr)
    return 0 if report.ok else EXIT_CHECK_FAILED


def cmd_policy(args: argparse.Namespace) -> int:
    library = load_library()
    if args.policy_command == "list":
        items = [{"id": p.id, "name": p.name, "place": p.place, "document": p.document,
                  "source": p.source, "parent": p.parent.id if p.parent else None,
                  "versions": [v.valid_from.isoformat() for v in p.versions]} for p in library]
        if args.json:
            _print_json(items)
        else:
            for item in items:
                print(f"{item['id']}\t{item['name']}\t{item['place']}\t{item['document']}")
        return 0
    profile = library.get(args.name)
    if args.json:
        _print_json(profile.to_dict())
        return 0
    print(f"{profile.name}（{profile.id}）  {profile.place}")
    print(f"依据：{profile.document}")
    group = None
    for item in profile.all_rules():
        spec = item if isinstance(item, RuleSpec) else item.spec
        if spec.group != group:
            group = spec.group
            print(f"\n【{RULE_GROUPS.get(group, group)}】")
        if isinstance(item, RuleSpec):
            print(f"  {spec.label}：未规定")
            continue
        source = f"继承自 {item.profile_id}" if item.inherited else "本地"
        print(f"  {spec.label}：{format_value(spec, item.value)}    [{source}] {item.cite}")
    return 0


def cmd_gui(args: argparse.Namespace) -> int:
    from clinic_app.ui.app import run

    return run(args.db, demo_if_empty=args.demo_if_empty)


COMMANDS = {"demo": cmd_demo, "search": cmd_search, "check": cmd_check, "policy": cmd_policy,
            "overdue": cmd_overdue, "import-roster": cmd_import_roster, "gui": cmd_gui}


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    parser = build_parser()
    given = list(sys.argv[1:] if argv is None else argv)
    # `clinic-app --db PATH` (no command) opens the window on that file, as the README says.
    if given and given[0].startswith("-") and given[0] not in ("-h", "--help", "--version"):
        given.insert(0, "gui")
    args = parser.parse_args(given)
    if args.command is None:
        args = parser.parse_args(["gui"])
    try:
        return COMMANDS[args.command](args)
    except (ClinicError, StorageError, PolicyError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("\n已中断", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and cut off: not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
