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
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clinic_app import __version__
from clinic_app.clinic import END_STATUSES, Clinic, default_db_path
from clinic_app.domain import codes
from clinic_app.domain.policy import (
    RULE_GROUPS,
    PolicyError,
    Profile,
    RuleSpec,
    _jsonable,
    format_value,
    load_library,
)
from clinic_app.errors import ClinicError
from clinic_app.progress import Progress
from clinic_app.storage.db import StorageError

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CHECK_FAILED = 3
EXIT_ROWS_REJECTED = 4  # import-roster: imported, but some rows were rejected


# argparse's own messages are English; county staff read Chinese. The common ones, translated.
_ARGPARSE_MESSAGES = (
    (re.compile(r"the following arguments are required: (.+)"), r"缺少必填参数：\1"),
    (re.compile(r"argument (\S+): invalid int value: '(.*)'"), r"参数 \1 应为整数，而不是“\2”"),
    (re.compile(r"argument (\S+): invalid choice: '(.*)' \(choose from (.+)\)"),
     r"参数 \1 不能是“\2”，可选：\3"),
    (re.compile(r"argument (\S+): expected one argument"), r"参数 \1 后面需要一个值"),
    (re.compile(r"unrecognized arguments: (.+)"), r"无法识别的参数：\1"),
    (re.compile(r"argument (\S+): (.+)"), r"参数 \1：\2"),
)


def _chinese(message: str) -> str:
    for pattern, replacement in _ARGPARSE_MESSAGES:
        if pattern.fullmatch(message):
            return pattern.sub(replacement, message)
    return message


class _Parser(argparse.ArgumentParser):
    """argparse with Chinese help headings and error messages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示帮助并退出")

    def format_usage(self) -> str:
        return super().format_usage().replace("usage: ", "用法：", 1)

    def format_help(self) -> str:
        return super().format_help().replace("usage: ", "用法：", 1)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"命令用法错误：{_chinese(message)}", file=sys.stderr)
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
    imp.add_argument("--overwrite-local", action="store_true",
                     help="本地修改过的字段也用名单的值覆盖（默认保留本地修改，列为冲突）")
    imp.add_argument("--add-conditions", action="store_true",
                     help="把“健康状况”中写明的慢病（高血压、糖尿病等）登记为慢病"
                          "（默认只列出建议，写入备注）")
    imp.add_argument("--missing-out", type=Path, default=None, metavar="FILE.xlsx",
                     help="把不在名单中的人（按村列出，完整身份证号）保存到这个 .xlsx")

    overdue = sub.add_parser("overdue", help="今日待办：逾期和本周应随访的慢病患者，按风险排序")
    _common(overdue)
    overdue.add_argument("--as-of", type=_date_arg, default=None, help="按哪天计算（默认今天）")
    overdue.add_argument("--village", default=None, help="只列出这个村")
    overdue.add_argument("--within", type=int, default=None,
                         help="包括几天内到期的（默认按政策配置，一般7天）")
    overdue.add_argument("--xlsx", type=Path, default=None,  # 今日待办 export (issue 5)
                         help="同时导出为 Excel 文件（首行写明村、日期和政策配置）")
    _care_parsers(sub)  # checkups, medicine box (issue 6): see that section below

    check = sub.add_parser("check", help="检查数据库完整性并统计记录数")
    _common(check)

    policy = sub.add_parser("policy", help="政策配置：查看、复制为本地方案、修改规则、选用")
    policy_sub = policy.add_subparsers(dest="policy_command", parser_class=_Parser, required=True)
    plist = policy_sub.add_parser("list", help="列出所有政策配置（含本地方案）")
    _policy_db(plist)
    plist.add_argument("--json", action="store_true")
    pshow = policy_sub.add_parser("show", help="显示一个配置的全部规则及出处")
    pshow.add_argument("name", help="配置 id 或名称")
    pshow.add_argument("--on", type=_date_arg, default=None,
                       help="按哪天生效的版本显示（默认最新版本）")
    _policy_db(pshow)
    pshow.add_argument("--json", action="store_true")
    pcopy = policy_sub.add_parser("copy", help="复制一个配置为本地方案（继承原配置）")
    pcopy.add_argument("source", help="要复制的配置 id 或名称")
    pcopy.add_argument("new_name", help="本地方案的名称")
    _common(pcopy)
    prule = policy_sub.add_parser(
        "set-rule", help="修改本地方案的一条规则（金额按元填写；列表用 JSON 数组或每行一条）")
    prule.add_argument("profile", help="本地方案 id 或名称")
    prule.add_argument("key", help="规则键，如 followup.per_year.hypertension（policy show 可查）")
    prule.add_argument("value")
    prule.add_argument("--cite", required=True,
                       help="依据（出处），如“本地调整：乡镇卫生院会议纪要2026-03”")
    prule.add_argument("--valid-from", type=_date_arg, default=None,
                       help="从哪天起生效（默认今天；更早的随访仍按原规则）")
    prule.add_argument("--note", default="", help="新版本的说明（默认同依据）")
    _common(prule)
    pclear = policy_sub.add_parser("clear-rule", help="撤销本地方案某版本对一条规则的修改")
    pclear.add_argument("profile")
    pclear.add_argument("key")
    pclear.add_argument("--valid-from", type=_date_arg, required=True, help="哪个版本（生效日期）")
    _common(pclear)
    pversion = policy_sub.add_parser("add-version", help="给本地方案增加一个从某天起生效的版本")
    pversion.add_argument("profile")
    pversion.add_argument("valid_from", type=_date_arg)
    pversion.add_argument("--note", required=True, help="版本说明（依据的文件或会议）")
    _common(pversion)
    puse = policy_sub.add_parser("use", help="本院选用一个配置（随同步上报）")
    puse.add_argument("profile", help="配置 id 或名称")
    _common(puse)
    pretire = policy_sub.add_parser("retire", help="停用本地方案（保留记录，不再可选）")
    pretire.add_argument("profile")
    pretire.add_argument("--reason", required=True)
    _common(pretire)
    _contract_parsers(sub)  # contracts (issue 5): see the contracts section below
    _print_parsers(sub)  # printing (issue 7): see the printing section below
    _follow_up_parsers(sub)  # follow-up forms (issue 5): see that section below
    _contract_write_parsers(sub)  # sign/renew/end (issue 5): see that section below
    _resident_parsers(sub)  # 死亡/迁出 and undoing it: see that section below
    return parser


def _policy_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None,
                        help="同时列出这个数据库的本地方案（默认：默认数据库存在时用它）")


def _date_arg(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise argparse.ArgumentTypeError(f"没有 {text} 这一天") from None
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
    """Progress for long commands on stderr: on a terminal one line that updates at most once
    a second; into a log file or a pipe (a county script) a plain line every 10 seconds, so
    the log reads as lines, not as a run of carriage returns and escape codes."""
    last = [0.0]
    terminal = sys.stderr.isatty()

    def report(done: int, total: int, message: str) -> None:
        if args.json or time.perf_counter() - last[0] < (1 if terminal else 10):
            return
        last[0] = time.perf_counter()
        text = f"{message}：{done}/{total}" if total else f"{message}…"  # 0: not yet known
        if terminal:
            print(f"\r\033[K{text}", end="", file=sys.stderr, flush=True)
        else:
            print(text, file=sys.stderr, flush=True)

    return Progress(report)


def _after_progress() -> str:
    """What starts the line after a progress line: clear it on a terminal, nothing in a log."""
    return "\r\033[K" if sys.stderr.isatty() else ""


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# Commands that only read must not create an empty register from a mistyped --db.
READ_ONLY = ("search", "check", "overdue")


def _require_db(db: Path | None) -> None:
    """A mistyped --db must not silently create an empty register."""
    if db is not None and not Path(db).exists():
        raise ClinicError(f"数据库文件不存在：{db}（请检查路径）")
    if db is not None and Path(db).is_file() and Path(db).stat().st_size == 0:
        # An empty file (a failed copy, a file made by mistake) is not a register either.
        raise ClinicError(f"数据库文件是空的（0 字节）：{db}，不是诊所数据库；"
                          "请检查是否拷贝完整，或换成正确的文件")


def _open_existing(args: argparse.Namespace) -> Clinic:
    """The register at --db, which must exist (the default one is created on first use)."""
    _require_db(args.db)
    return Clinic.open(args.db)


def _open(args: argparse.Namespace) -> Clinic:
    if args.command in READ_ONLY:
        _require_db(args.db)
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
        print(f"{_after_progress()}已生成演示乡镇：{summary.villages} 个村，"
              f"{summary.households} 户，{summary.residents} 人，用时 {summary.seconds} 秒",
              file=sys.stderr)
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

    if args.missing_out is not None and args.missing_out.suffix.lower() != ".xlsx":
        raise ClinicError(f"--missing-out 应是 .xlsx 文件，而不是 {args.missing_out.name}")
    with _open(args) as clinic:
        report = clinic.import_roster(args.file, village=args.village, dry_run=args.dry_run,
                                      progress=_stderr_progress(args),
                                      overwrite_local=args.overwrite_local,
                                      accept_conditions=args.add_conditions)
    if args.errors is not None and report.errors:
        roster.write_error_report(report, args.errors)
    if args.missing_out is not None:
        roster.write_missing_report(report, args.missing_out)
    rejected = EXIT_ROWS_REJECTED if report.errors else 0
    if args.json:
        _print_json(report.to_json())
        return rejected
    verb = "将" if args.dry_run else "已"
    print(f"{_after_progress()}读取 {report.rows_read} 行：{verb}新增 {report.imported} 人（新户 "
          f"{report.households}），{verb}更新 {report.updated} 人，无变化 {report.unchanged} 人，"
          f"未导入 {report.rejected} 行", file=sys.stderr)
    for issue in report.errors:
        print(f"第{issue.row}行 {issue.column}：{issue.reason}")
    for issue in report.warnings:
        print(f"提醒 第{issue.row}行 {issue.column}：{issue.reason}")
    for change in report.field_changes():
        print(f"变动 第{change['row']}行 {change['name']} {change['label']}："
              f"{change['current']} → {change['roster']}")
    for conflict in report.conflicts:
        kept = "已用名单覆盖" if conflict["overwritten"] else "保留本地"
        print(f"冲突（{kept}） 第{conflict['row']}行 {conflict['name']} {conflict['label']}："
              f"本地 {conflict['current']}（{conflict['local_user']} {conflict['local_at']}"
              f"{conflict['how']}），名单 {conflict['roster']}")
    if report.kept_local:
        print(f"{report.kept_local} 处本地修改与名单不同，已保留本地的值；"
              "确认名单正确时加 --overwrite-local 重新导入", file=sys.stderr)
    for suggestion in report.condition_suggestions:
        done = "已登记" if suggestion["accepted"] else "建议登记"
        print(f"慢病（{done}） 第{suggestion['row']}行 {suggestion['name']}："
              f"{suggestion['condition']}（健康状况：{suggestion['health']}）")
    pending = len(report.condition_suggestions) - report.conditions_added
    if pending:
        print(f"“健康状况”中有 {pending} 条慢病未登记（已写入备注）；"
              "核实后可加 --add-conditions 重新导入", file=sys.stderr)
    if report.missing_from_roster:
        counts = "，".join(f"{v} {n} 人" for v, n in report.missing_by_village.items())
        print(f"不在新名单中的 {len(report.missing_from_roster)} 人（{counts}；未删除，"
              "请核实是否脱贫、死亡或迁出）：", file=sys.stderr)
        for person in report.missing_from_roster:
            print(f"  {person.get('name', '')}\t{person.get('masked_id', '')}\t"
                  f"{person.get('village', '')}\t{person.get('household_no', '')}\t"
                  f"{person.get('reason', '')}")
    if args.errors is not None and report.errors:
        print(f"错误报告已保存到 {args.errors}", file=sys.stderr)
    if args.missing_out is not None:
        print(f"不在名单中的人已保存到 {args.missing_out}", file=sys.stderr)
    return rejected




def cmd_overdue(args: argparse.Namespace) -> int:
    from clinic_app import work_list

    with _open(args) as clinic:
        as_of = args.as_of or clinic.today()
        items = clinic.work_list(as_of, village_id=_village_id(clinic, args.village),
                                 due_within=args.within)
        if args.xlsx is not None:
            work_list.export_xlsx(args.xlsx, items, village=args.village or "全部村",
                                  as_of=as_of, profile_name=clinic.profile.name)
            print(f"已导出 {len(items)} 人到 {args.xlsx}", file=sys.stderr)
    if args.json:
        _print_json([{k: v for k, v in item.items() if k != "contact"} | {
            "risk_label": work_list.risk_label(item), "reason": work_list.reason(item),
            "contact": item["contact"]["outcome"] if item.get("contact") else None}
            for item in items])
        return 0
    if not items:
        print("没有逾期或本周应随访的患者", file=sys.stderr)
    for item in items:
        print(f"{work_list.risk_label(item)}\t{item['name']}\t{item['age']}岁\t"
              f"{'、'.join(item['conditions'])}\t{work_list.when(item)}\t"
              f"{work_list.reason(item)}\t血压{item['last_bp'] or '-'}\t"
              f"血糖{item['last_glucose'] or '-'}\t"
              f"{item['phone'] or '无电话'}\t{item['village']}{item['group_name']}"
              + (f"\t{work_list.contact_text(item)}" if item.get("contact") else ""))
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


def _policy_clinic(args: argparse.Namespace) -> Clinic | None:
    """The register whose local profiles to include: --db (must exist), else the default
    register if there is one; None means the bundled profiles only."""
    if args.db is not None:
        return _open_existing(args)
    return Clinic.open(default_db_path()) if default_db_path().exists() else None


def _profile_json(clinic: Clinic | None, profile: Profile,
                  on: dt.date | None = None) -> dict[str, Any]:
    data = profile.to_dict(on)
    info = clinic.local_profile_info(profile.id) if clinic else None
    data["local"] = info is not None
    if info is not None:
        data.update(base=info.base, created_at=info.created_at, created_by=info.created_by,
                    modified_at=info.modified_at, updated_by=info.updated_by,
                    retired_on=info.retired_on.isoformat() if info.retired_on else None,
                    retired_reason=info.retired_reason)
    data["chosen"] = clinic is not None and clinic.profile.id == profile.id
    # What this profile itself sets in each version (the county reads when rules changed).
    data["own_versions"] = [
        {"valid_from": v.valid_from.isoformat(), "note": v.note,
         "rules": [{"key": k, "value": _jsonable(value), "cite": cite}
                   for k, (value, cite) in v.rules.items()]}
        for v in profile.versions]
    return data


def cmd_policy(args: argparse.Namespace) -> int:
    command = args.policy_command
    if command in ("list", "show"):
        clinic = _policy_clinic(args)
        try:
            return _policy_read(args, clinic)
        finally:
            if clinic is not None:
                clinic.close()
    if command not in ("copy", "use"):
        _require_db(args.db)
    with Clinic.open(args.db) as clinic:
        if command == "copy":
            new_id = clinic.copy_profile(args.source, args.new_name)
            result: dict[str, Any] = {"id": new_id, "name": args.new_name.strip(),
                                      "base": clinic.find_profile(args.source).id}
            message = f"已复制为本地方案：{result['name']}（{new_id}），继承 {result['base']}"
        elif command == "set-rule":
            profile = clinic.find_profile(args.profile)
            on = args.valid_from or clinic.today()
            clinic.set_policy_rule(profile.id, args.key, args.value, args.cite, on, args.note)
            rule = clinic.find_profile(profile.id).rule(args.key, on)
            assert rule is not None
            result = {"id": profile.id, "key": args.key, "value": _jsonable(rule.value),
                      "cite": rule.cite, "valid_from": on.isoformat()}
            message = (f"已修改 {profile.name}：{rule.spec.label} = "
                       f"{format_value(rule.spec, rule.value)}，自 {on} 起生效（{rule.cite}）")
        elif command == "clear-rule":
            profile = clinic.find_profile(args.profile)
            clinic.clear_policy_rule(profile.id, args.key, args.valid_from)
            result = {"id": profile.id, "key": args.key,
                      "valid_from": args.valid_from.isoformat()}
            message = f"已撤销 {profile.name} 自 {args.valid_from} 起对 {args.key} 的修改"
        elif command == "add-version":
            profile = clinic.find_profile(args.profile)
            clinic.add_policy_version(profile.id, args.valid_from, args.note)
            result = {"id": profile.id, "valid_from": args.valid_from.isoformat()}
            message = f"已为 {profile.name} 增加 {args.valid_from} 起生效的版本"
        elif command == "use":
            clinic.set_profile(clinic.find_profile(args.profile).id)
            result = {"id": clinic.profile.id, "name": clinic.profile.name}
            message = f"本院已选用：{clinic.profile.name}（{clinic.profile.id}）"
        else:  # retire
            profile = clinic.find_profile(args.profile)
            clinic.retire_profile(profile.id, args.reason)
            result = {"id": profile.id, "retired": True}
            message = f"已停用本地方案 {profile.name}"
    if args.json:
        _print_json(result)
    else:
        print(message)
    return 0


def _policy_read(args: argparse.Namespace, clinic: Clinic | None) -> int:
    library = clinic.library if clinic else load_library()
    if clinic is not None:
        for problem in clinic.policy_problems:
            print(f"提醒：{problem}", file=sys.stderr)
    if args.policy_command == "list":
        items = []
        for p in library:
            data = _profile_json(clinic, p)
            items.append({k: data.get(k) for k in (
                "id", "name", "place", "document", "source", "parent", "versions", "local",
                "chosen")} | ({k: data[k] for k in ("base", "created_by", "modified_at",
                                                    "retired_on")} if data["local"] else {}))
        if args.json:
            _print_json(items)
        else:
            for item in items:
                marks = ("【本院选用】" if item["chosen"] else "") + (
                    "【本地方案】" if item["local"] else "") + (
                    "【已停用】" if item.get("retired_on") else "")
                print(f"{item['id']}\t{item['name']}\t{item['place']}\t{marks}"
                      f"{item['document']}")
        return 0
    profile = clinic.find_profile(args.name) if clinic else library.get(args.name)
    if args.json:
        _print_json(_profile_json(clinic, profile, args.on))
        return 0
    print(f"{profile.name}（{profile.id}）  {profile.place}")
    print(f"依据：{profile.document}")
    print("版本：" + "；".join(f"{v.valid_from} 起" + (f"（{v.note}）" if v.note else "")
                            for v in profile.versions))
    group = None
    for item in profile.all_rules(args.on):
        spec = item if isinstance(item, RuleSpec) else item.spec
        if spec.group != group:
            group = spec.group
            print(f"\n【{RULE_GROUPS.get(group, group)}】")
        # The range a local profile may set (as --json's "range"), so whoever edits a rule
        # from a script sees the bounds before `policy set-rule` refuses a value.
        bounds = f"（可设 {spec.range_text()}）" if spec.range_text() else ""
        if isinstance(item, RuleSpec):
            print(f"  {spec.label}：未规定{bounds}")
            continue
        source = f"继承自 {item.profile_id}" if item.inherited else "本配置"
        print(f"  {spec.label}：{format_value(spec, item.value)}{bounds}    [{source}，"
              f"{item.valid_from} 起] {item.cite}")
    return 0


# ------------------------------------------------------------ checkups, medicine box (issue 6)
# `clinic-app checkups-due | checkup-coverage | medicine-report | medicine-runs-out |
# medicine-box`: what a township desk or the county scripts over the same Clinic methods the
# window uses. Money in --json output is integer fen (and a yuan string beside it).
def _care_parsers(sub: Any) -> None:
    from clinic_app.domain.medicine import RUNS_OUT_SOON_DAYS

    due = sub.add_parser("checkups-due", help="今年（或指定年份）还没做健康体检的居民")
    _common(due)
    due.add_argument("--village", default=None, help="只列出这个村")
    due.add_argument("--year", type=int, default=None, help="年份（默认今年）")
    coverage = sub.add_parser("checkup-coverage", help="各村健康体检覆盖率和按标准计算的费用")
    _common(coverage)
    coverage.add_argument("--year", type=int, default=None, help="年份（默认今年）")
    report = sub.add_parser("medicine-report", help="慢病小药箱季度对账：每笔发药、退药及合计")
    _common(report)
    report.add_argument("--quarter", required=True, help="季度，如 2026Q3")
    report.add_argument("--village", default=None, help="只列出这个村")
    report.add_argument("--out", type=Path, default=None, help="保存为 .xlsx 对账表")
    runs = sub.add_parser("medicine-runs-out",  # 药箱 (issue 6): ran out, then runs out soon
                          help="药已用完或快用完：按每日用量算，已用完的（在前）和几天内用完的药")
    _common(runs)
    runs.add_argument("--as-of", type=_date_arg, default=None, help="按哪天计算（默认今天）")
    runs.add_argument("--within", type=int, default=None,
                      help=f"几天内用完（默认 {RUNS_OUT_SOON_DAYS} 天；已用完的总是列出）")
    runs.add_argument("--village", default=None, help="只列出这个村")
    box = sub.add_parser("medicine-box",
                         help="一位居民的药箱：药品、余药天数、发药记录、免费用药余额")
    _common(box)
    box.add_argument("resident", help="姓名、拼音首字母、身份证号或档案 id（须唯一确定一人）")
    _care_write_parsers(sub)  # checkup …, medicine … (the writes; below)


def _yuan(fen: int | None) -> str:
    from clinic_app.domain.models import yuan

    return yuan(fen) if fen is not None else ""


def cmd_checkups_due(args: argparse.Namespace) -> int:
    with _open_existing(args) as clinic:
        year = clinic.checkup_year(args.year)  # checked: 2000 to next year
        rows = clinic.checkups_due(year, village_id=_village_id(clinic, args.village))
    if args.json:
        _print_json([{k: r[k] for k in (
            "id", "name", "sex", "age", "phone", "village", "group_name", "household_no",
            "poverty_category", "done", "per_year", "missing", "last_on")} for r in rows])
        return 0
    if not rows:
        print(f"{year}年应体检的居民都已完成体检", file=sys.stderr)
        return 0
    print(f"{year}年未完成体检 {len(rows)} 人", file=sys.stderr)
    for r in rows:
        last = f"上次 {r['last_on']}" if r["last_on"] else "从未体检"
        print(f"{r['name']}\t{r['sex']}\t{r['age'] if r['age'] is not None else ''}岁\t"
              f"{r['village']}{r['group_name'] or ''}\t{r['household_no'] or ''}\t"
              f"{r['phone']}\t{last}")
    return 0


def cmd_checkup_coverage(args: argparse.Namespace) -> int:
    with _open_existing(args) as clinic:
        year = clinic.checkup_year(args.year)  # checked: 2000 to next year
        rows = clinic.checkup_coverage(year)
    if args.json:
        _print_json([{**r, "cost_yuan": _yuan(r["cost_fen"])} for r in rows])
        return 0
    print(f"{year}年\t应体检\t已体检\t未体检\t覆盖率\t目标\t体检人次\t有异常\t费用(元)")
    for r in rows:
        percent = "—" if r["percent"] is None else f"{r['percent']:g}%"
        target = "—" if r["target"] is None else f"{r['target']:g}%"
        print(f"{r['village']}\t{r['eligible']}\t{r['checked']}\t{r['due']}\t{percent}\t"
              f"{target}\t{r['checkups']}\t{r['abnormal']}\t{_yuan(r['cost_fen'])}")
    return 0


def cmd_medicine_report(args: argparse.Namespace) -> int:
    with _open_existing(args) as clinic:
        village_id = _village_id(clinic, args.village)
        if args.out is not None:
            report = clinic.export_medicine_report(args.out, args.quarter, village_id=village_id)
        else:
            report = clinic.medicine_report(args.quarter, village_id=village_id)
    totals = report.totals
    if args.json:
        _print_json({
            "quarter": f"{report.year}Q{report.quarter}", "label": report.label,
            "start": report.start.isoformat(), "end": report.end.isoformat(),
            "due_on": report.due_on.isoformat() if report.due_on else None,
            "profile": report.profile_name, "out": str(args.out) if args.out else None,
            "totals": {**totals, "rows": len(report.rows),
                       **{k.replace("_fen", "_yuan"): _yuan(v) for k, v in totals.items()}},
            "villages": report.by_village(),
            "rows": [{k: r[k] for k in (
                "id", "delivered_on", "kind", "village", "name", "medicine", "quantity", "unit",
                "unit_price_fen", "insurance_fen", "free_fund_fen", "patient_fen", "receipt_no",
                "corrects_id", "refund_of")} for r in report.rows]})
        return 0
    due = f"，请于 {report.due_on} 前报送核对" if report.due_on else ""
    print(f"{report.label}（{report.start} 至 {report.end}）慢病用药对账：{len(report.rows)} 笔"
          f"{due}", file=sys.stderr)
    print("村\t笔数\t人数\t金额(元)\t医保(元)\t免费药品基金(元)\t个人(元)")
    for g in report.by_village():
        print(f"{g['village']}\t{g['rows']}\t{g['residents']}\t{_yuan(g['total_fen'])}\t"
              f"{_yuan(g['insurance_fen'])}\t{_yuan(g['free_fund_fen'])}\t"
              f"{_yuan(g['patient_fen'])}")
    print(f"合计\t{len(report.rows)}\t\t{_yuan(totals['total_fen'])}\t"
          f"{_yuan(totals['insurance_fen'])}\t{_yuan(totals['free_fund_fen'])}\t"
          f"{_yuan(totals['patient_fen'])}")
    if args.out is not None:
        print(f"对账表已保存到 {args.out}", file=sys.stderr)
    return 0


def cmd_medicine_runs_out(args: argparse.Namespace) -> int:
    with _open_existing(args) as clinic:
        rows = clinic.runs_out_soon(args.as_of, within=args.within,
                                    village_id=_village_id(clinic, args.village))
    if args.json:
        _print_json([{k: r[k] for k in (
            "resident_id", "name", "age", "phone", "village", "group_name", "medicine",
            "strength", "condition", "units_per_day", "runs_out_on", "days_left", "supply")}
            for r in rows])
        return 0
    if not rows:
        print("没有已用完或快用完的药", file=sys.stderr)
    for r in rows:
        print(f"{r['name']}\t{r['village'] or ''}{r['group_name'] or ''}\t{r['medicine']}\t"
              f"{r['supply']}（{r['runs_out_on']}）\t{r['phone']}")
    return 0


def cmd_medicine_box(args: argparse.Namespace) -> int:
    with _open_existing(args) as clinic:
        view = clinic.medicine_box(_one_resident(clinic, args.resident))
    balance = view.balance
    if args.json:
        _print_json({
            "resident_id": view.resident_id, "name": view.resident_name,
            "box_id": view.box.id if view.box else None,
            "balance": {"year": balance.year, "cap_fen": balance.cap_fen,
                        "used_fen": balance.used_fen, "left_fen": balance.left_fen,
                        "text": balance.text()},
            "items": [{"id": i["item"].id, "medicine": i["item"].medicine,
                       "strength": i["item"].strength, "dose": i["item"].dose,
                       "condition": i["condition"], "active": bool(i["item"].active),
                       "runs_out_on": i["supply"].runs_out_on,
                       "days_left": i["supply"].days_left} for i in view.items],
            "deliveries": [{k: d[k] for k in (
                "id", "delivered_on", "kind", "medicine", "quantity", "unit", "unit_price_fen",
                "insurance_fen", "free_fund_fen", "patient_fen", "receipt_no", "current",
                "replaced_by", "corrects_id", "refund_of")} for d in view.deliveries]})
        return 0
    if view.box is None:
        print(f"{view.resident_name} 还没有慢病小药箱。{balance.text()}")
        return 0
    print(f"{view.resident_name} 的慢病小药箱（{view.box.opened_on} 建）。{balance.text()}")
    for i in view.items:
        state = "" if i["item"].active else "（已停用）"
        print(f"  {i['item'].medicine} {i['item'].strength}\t{i['item'].dose}\t"
              f"{i['condition']}\t{i['supply'].text()}{state}\t{i['item'].id}")
    for d in view.deliveries:
        state = "" if d["current"] else "（已更正）"
        print(f"  {d['delivered_on']}\t{'退药' if d['kind'] == 'refund' else '发药'}\t"
              f"{d['medicine']}\t{d['quantity']}{d['unit']}\t"
              f"{_yuan(d['quantity'] * d['unit_price_fen'])}元\t基金{_yuan(d['free_fund_fen'])}"
              f"\t{d['receipt_no']}{state}\t{d['id']}")
    return 0


# -- 体检、药箱的录入 (checkup and medicine-box writes, from the review of issue 6)
# `clinic-app checkup fields|list|record|correct|void` and `clinic-app medicine open-box|
# add-item|stop-item|deliver|correct|refund|void`: every write the 体检 form and the 药箱
# dialogs make, through the same Clinic methods and checks. Values are given as key=value
# (`--set`), as for `follow-up record`; money in 元 is parsed exactly (Decimal to integer fen,
# never a float). A person is named as everywhere (`_one_resident`); a medicine by its name in
# that person's box (or its record id); a checkup, delivery or refund by the record id that
# `record`/`deliver` print and `checkup list` / `medicine-box` show.
PERSON_HELP = "姓名、拼音首字母、身份证号或档案 id（须唯一确定一人）"
ITEM_KEYS = {"medicine": "药品名称（必填）", "strength": "规格，如 5mg×28片", "dose": "用法用量",
             "condition": "用于哪种慢病（代码或名称，如 hypertension 或 高血压）",
             "units_per_day": "每日用量（片/粒/支），用来算余药天数", "pack_size": "每盒数量"}
MONEY_KEYS = {"unit_price": "单价（元）", "insurance": "医保支付（元）",
              "free_fund": "免费药品基金支付（元，不填为其余部分）", "patient": "个人支付（元）"}
DELIVERY_KEYS = {"quantity": "数量（正整数）", **MONEY_KEYS, "receipt_no": "医保结算单或收据号",
                 "unit": "单位（默认 盒）", "location": "home 上门送药 / clinic 村卫生室取药",
                 "notes": "备注"}
CORRECT_KEYS = {k: v for k, v in DELIVERY_KEYS.items() if k != "notes"}  # notes: the reason
REFUND_KEYS = {"quantity": "退药数量（正整数）", "insurance": "退回医保（元）",
               "free_fund": "退回免费药品基金（元）", "patient": "退回个人（元）",
               "receipt_no": "退药票据号"}


def _set_help(keys: dict[str, str]) -> str:
    return "字段=值，可重复：" + "；".join(f"{k} {v}" for k, v in keys.items())


def _care_write_parsers(sub: Any) -> None:
    checkup = sub.add_parser("checkup", help="健康体检记录：录入、更正、作废、查看")
    actions = checkup.add_subparsers(dest="checkup_command", parser_class=_Parser,
                                     required=True)
    fields = actions.add_parser("fields", help="体检表的字段、单位、合理范围和可选值")
    fields.add_argument("--json", action="store_true", help="以 JSON 输出")
    listing = actions.add_parser("list", help="一位居民的体检记录（更正后的为准）")
    _common(listing)
    listing.add_argument("resident", help=PERSON_HELP)
    record = actions.add_parser("record", help="录入一次健康体检（异常项自动标出）")
    _common(record)
    record.add_argument("resident", help=PERSON_HELP)
    correct = actions.add_parser("correct", help="更正一次体检（从原记录改起，旧记录保留在历史中）")
    _common(correct)
    correct.add_argument("checkup_id", help="体检记录 id（见 checkup list）")
    correct.add_argument("--reason", required=True, help="更正原因，如：血压录错")
    for action in (record, correct):
        action.add_argument("--on", type=_date_arg, default=None,
                            help="体检日期（录入默认今天；更正默认原日期）")
        action.add_argument("--set", dest="values", action="append", default=[],
                            metavar="字段=值",
                            help="如 sbp_left=150；多选用逗号分隔；清空写 字段=；"
                                 "字段见 checkup fields")
        action.add_argument("--doctor", default=None, help="体检医生姓名")
    void = actions.add_parser("void", help="作废一次录错的体检（连同更正前的版本）")
    _common(void)
    void.add_argument("checkup_id", help="体检记录 id")
    void.add_argument("--reason", required=True, help="作废原因，如：录错人")

    medicine = sub.add_parser("medicine", help="慢病小药箱：建箱、药品、发药、更正、退药、作废")
    acts = medicine.add_subparsers(dest="medicine_command", parser_class=_Parser, required=True)
    open_box = acts.add_parser("open-box", help="为一位居民建慢病小药箱")
    _common(open_box)
    open_box.add_argument("resident", help=PERSON_HELP)
    open_box.add_argument("--on", type=_date_arg, default=None, help="建箱日期（默认今天）")
    open_box.add_argument("--note", default="", help="备注")
    add_item = acts.add_parser("add-item", help="在药箱里添加一种药品")
    _common(add_item)
    add_item.add_argument("resident", help=PERSON_HELP)
    add_item.add_argument("--set", dest="values", action="append", default=[],
                          metavar="字段=值", help=_set_help(ITEM_KEYS))
    stop = acts.add_parser("stop-item", help="停用药箱里的一种药品（记录保留）")
    _common(stop)
    stop.add_argument("resident", help=PERSON_HELP)
    stop.add_argument("--medicine", default=None,
                      help="药品名称或药品 id（药箱只有一种在用药时可省略）")
    stop.add_argument("--reason", required=True, help="停用原因，如：医嘱换药")
    stop.add_argument("--on", type=_date_arg, default=None, help="停用日期（默认今天）")
    deliver = acts.add_parser("deliver", help="登记一次发药（免费用药超出年度限额会被拒绝）")
    _common(deliver)
    deliver.add_argument("resident", help=PERSON_HELP)
    deliver.add_argument("--medicine", default=None,
                         help="药品名称或药品 id（药箱只有一种在用药时可省略）")
    deliver.add_argument("--auto-split", action="store_true",
                         help="免费药品基金按年度余额支付，其余由个人支付（同窗口的“按余额拆分”）")
    correct_d = acts.add_parser("correct", help="更正一条发药或退药记录（旧记录保留在历史中）")
    _common(correct_d)
    correct_d.add_argument("delivery_id", help="发药或退药记录 id（见 medicine-box）")
    correct_d.add_argument("--reason", required=True, help="更正原因，如：单价录错")
    correct_d.add_argument("--medicine", default=None, help="改成本人药箱里的另一种药品")
    for action, keys in ((deliver, DELIVERY_KEYS), (correct_d, CORRECT_KEYS)):
        action.add_argument("--set", dest="values", action="append", default=[],
                            metavar="字段=值", help=_set_help(keys))
        action.add_argument("--on", type=_date_arg, default=None,
                            help="发药日期（发药默认今天；更正默认原日期）")
        action.add_argument("--doctor", default=None, help="送药医生姓名")
    refund = acts.add_parser("refund", help="登记退药（各方按原比例退回，或用 --set 指定）")
    _common(refund)
    refund.add_argument("delivery_id", help="发药记录 id（见 medicine-box）")
    refund.add_argument("--reason", required=True, help="退药原因，如：停药、换药、药品破损")
    refund.add_argument("--on", type=_date_arg, default=None, help="退药日期（默认今天）")
    refund.add_argument("--set", dest="values", action="append", default=[],
                        metavar="字段=值", help=_set_help(REFUND_KEYS))
    void_d = acts.add_parser("void", help="作废一条录错的发药或退药记录（连同更正前的版本）")
    _common(void_d)
    void_d.add_argument("delivery_id", help="发药或退药记录 id")
    void_d.add_argument("--reason", required=True, help="作废原因，如：录错人")


def _pairs(items: Sequence[str], allowed: Sequence[str] | None, example: str
           ) -> dict[str, str]:
    """`--set key=value` items as a dict; unknown keys refused with the known ones listed."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ClinicError(f"“{item}”应写成 字段=值，如 {example}")
        if allowed is not None and key not in allowed:
            raise ClinicError(f"没有“{key}”这一项，可用：{'、'.join(allowed)}")
        out[key] = value.strip()
    return out


def _fen(values: dict[str, str], key: str) -> int | None:
    """An amount typed in 元 as integer fen (exact), None when not given."""
    from clinic_app.domain.medicine import MedicineError, parse_yuan

    if key not in values or values[key] == "":
        return None
    label = (MONEY_KEYS.get(key) or REFUND_KEYS.get(key, key)).split("（")[0]
    try:
        fen = parse_yuan(values[key], label)
    except MedicineError as exc:
        raise ClinicError(str(exc)) from None
    if fen < 0:
        raise ClinicError(f"{label}不能为负数（退药请用 medicine refund）")
    return fen


def _whole(values: dict[str, str], key: str, label: str) -> int | None:
    if key not in values or values[key] == "":
        return None
    text = values[key].translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if not text.isdigit():
        raise ClinicError(f"{label}应为正整数，而不是“{values[key]}”")
    return int(text)


def _item_id(clinic: Clinic, resident_id: str, text: str | None) -> str:
    """A medicine in use in the person's box, by record id or name (exact, else a unique
    part of it); may be left out when only one is in use."""
    view = clinic.medicine_box(resident_id)
    if view.box is None:
        raise ClinicError(f"{view.resident_name} 还没有慢病小药箱，请先 medicine open-box")
    items = [i["item"] for i in view.items if i["item"].active]
    if not items:
        raise ClinicError(f"{view.resident_name} 的药箱里没有在用的药品，请先 medicine add-item")
    if text is None:
        if len(items) == 1:
            return items[0].id
        names = "、".join(i.medicine for i in items) or "无"
        raise ClinicError(f"请用 --medicine 指定药品（{view.resident_name} 的在用药：{names}）")
    text = text.strip()
    found = [i for i in items if i.id == text.lower()] or \
        [i for i in items if i.medicine == text] or [i for i in items if text in i.medicine]
    if len(found) != 1:
        names = "、".join(f"{i.medicine} {i.strength}（{i.id}）".replace(" （", "（")
                         for i in found or items) or "无"
        what = "找到多种" if found else "没有"
        raise ClinicError(f"{view.resident_name} 的药箱里{what}“{text}”：{names}；"
                          "请写全名或用药品 id")
    return found[0].id


def _balance_json(balance: Any) -> dict[str, Any]:
    return {"year": balance.year, "cap_fen": balance.cap_fen, "used_fen": balance.used_fen,
            "left_fen": balance.left_fen, "text": balance.text()}


def _delivery_json(row: Any) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "resident_id": row.resident_id,
            "item_id": row.item_id, "delivered_on": str(row.delivered_on),
            "medicine": row.medicine, "quantity": row.quantity, "unit": row.unit,
            "unit_price_fen": row.unit_price_fen, "total_fen": row.total_fen,
            "insurance_fen": row.insurance_fen, "free_fund_fen": row.free_fund_fen,
            "patient_fen": row.patient_fen, "receipt_no": row.receipt_no,
            "delivered_by": row.delivered_by, "location": row.location,
            "corrects_id": row.corrects_id, "refund_of": row.refund_of, "notes": row.notes,
            "total_yuan": _yuan(row.total_fen), "insurance_yuan": _yuan(row.insurance_fen),
            "free_fund_yuan": _yuan(row.free_fund_fen), "patient_yuan": _yuan(row.patient_fen)}


def _checkup_json(clinic: Clinic, record: Any) -> dict[str, Any]:
    return {"id": record.id, "resident_id": record.resident_id,
            "checkup_date": str(record.checkup_date), "doctor_id": record.doctor_id,
            "evaluation": record.evaluation, "sbp": record.sbp, "dbp": record.dbp,
            "abnormal_items": record.data.get("abnormal_items", []),
            "cost_fen": record.cost_fen, "supersedes_id": record.supersedes_id,
            "values": clinic.checkup_values(record.id)}


def cmd_checkup(args: argparse.Namespace) -> int:
    from clinic_app.domain import checkup as spec

    action = args.checkup_command
    if action == "fields":
        if args.json:
            _print_json([{"key": f.key, "label": f.label, "kind": f.kind, "unit": f.unit,
                          "low": f.low, "high": f.high, "page": spec.PAGES[f.page],
                          "reference": f.reference_text() or None,
                          "choices": dict(f.choice_items()) or None, "elderly": f.elderly}
                         for f in spec.FIELDS])
        else:
            for f in spec.FIELDS:
                choices = "/".join(c if c == label else f"{c}={label}"
                                   for c, label in f.choice_items())
                print(f"{f.key}\t{f.label}\t{f.unit}\t{f.range_text()}\t{choices}")
        return 0
    with _open_existing(args) as clinic:
        if action == "list":
            records = clinic.checkups(_one_resident(clinic, args.resident))
            if args.json:
                _print_json([_checkup_json(clinic, c) for c in records])
                return 0
            for c in records:
                bp = f"{c.sbp}/{c.dbp}" if c.sbp and c.dbp else ""
                found = "、".join(c.data.get("abnormal_items", []))
                print(f"{c.checkup_date}\t{spec.EVALUATIONS.get(c.evaluation, '')}\t{bp}\t"
                      f"{found}\t{c.id}")
            if not records:
                print("没有体检记录", file=sys.stderr)
            return 0
        if action == "void":
            clinic.void_checkup(args.checkup_id, args.reason)
            if args.json:
                _print_json({"id": args.checkup_id, "action": "void"})
            else:
                print(f"已作废体检记录 {args.checkup_id}")
            return 0
        raw: dict[str, Any] = _pairs(args.values, None, "sbp_left=150")
        doctor_id = _doctor_by_name(clinic, args.doctor)["id"] if args.doctor else None
        if action == "record":
            resident_id = _one_resident(clinic, args.resident)
            saved = clinic.record_checkup(resident_id, args.on or clinic.today(), raw,
                                          doctor_id=doctor_id)
        else:
            old = clinic.checkup(args.checkup_id)
            # A correction starts from what was recorded: only the keys given change.
            values: dict[str, Any] = {**clinic.checkup_values(args.checkup_id), **raw}
            saved = clinic.correct_checkup(args.checkup_id, args.on or old.checkup_date,
                                           values, args.reason, doctor_id=doctor_id)
        record = clinic.checkup(saved.id)
        if args.json:
            _print_json({**_checkup_json(clinic, record), "enrolled": saved.enrolled,
                         "flags": [f.text for f in saved.flags]})
            return 0
    verdict = spec.EVALUATIONS.get(saved.evaluation, saved.evaluation)
    found = "：" + "、".join(f.text for f in saved.flags) if saved.flags else ""
    enrolled = "；纳入慢病管理：" + "、".join(codes.label(codes.CONDITIONS, c)
                                          for c in saved.enrolled) if saved.enrolled else ""
    done = "已更正" if action == "correct" else "已保存"
    print(f"{done} {record.checkup_date} 的体检：{verdict}{found}{enrolled}（记录 {saved.id}）")
    return 0


def cmd_medicine(args: argparse.Namespace) -> int:
    from clinic_app.domain import medicine as med

    action = args.medicine_command
    with _open_existing(args) as clinic:
        if action == "open-box":
            resident_id = _one_resident(clinic, args.resident)
            row_id = clinic.open_box(resident_id, args.on, args.note)
            message = f"已为 {clinic.resident(resident_id).name} 建慢病小药箱"
        elif action == "add-item":
            resident_id = _one_resident(clinic, args.resident)
            values = _pairs(args.values, tuple(ITEM_KEYS), "medicine=苯磺酸氨氯地平片")
            box = clinic.medicine_box(resident_id).box
            if box is None:
                raise ClinicError(f"{clinic.resident(resident_id).name} 还没有慢病小药箱，"
                                  "请先 medicine open-box")
            condition = values.get("condition", "")
            by_label = {label: code for code, label in codes.CONDITIONS.items()}
            try:
                per_day = float(values["units_per_day"]) if values.get("units_per_day") \
                    else None
            except ValueError:
                raise ClinicError(f"每日用量应为数字，而不是“{values['units_per_day']}”") \
                    from None
            row_id = clinic.add_box_item(
                box.id, values.get("medicine", ""), strength=values.get("strength", ""),
                dose=values.get("dose", ""), condition_code=by_label.get(condition, condition),
                units_per_day=per_day, pack_size=_whole(values, "pack_size", "每盒数量"))
            message = f"已添加药品 {values.get('medicine', '')}"
        elif action == "stop-item":
            resident_id = _one_resident(clinic, args.resident)
            row_id = _item_id(clinic, resident_id, args.medicine)
            clinic.stop_box_item(row_id, args.reason, args.on)
            message = "已停用药品"
        elif action in ("deliver", "correct"):
            row_id, message = _deliver(clinic, args)
        elif action == "refund":
            values = _pairs(args.values, tuple(REFUND_KEYS), "quantity=1")
            quantity = _whole(values, "quantity", "退药数量")
            if quantity is None:
                raise ClinicError("请用 --set quantity=数量 写明退几盒")
            amounts = [_fen(values, k) for k in ("insurance", "free_fund", "patient")]
            split = None if all(a is None for a in amounts) else \
                med.Split(*(a or 0 for a in amounts))
            row_id = clinic.refund_delivery(args.delivery_id, quantity, on=args.on,
                                            reason=args.reason, split=split,
                                            receipt_no=values.get("receipt_no", ""))
            message = "已登记退药"
        else:
            clinic.void_delivery(args.delivery_id, args.reason)
            row_id, message = args.delivery_id, "已作废"
        out: dict[str, Any] = {"id": row_id, "action": action}
        if action in ("deliver", "correct", "refund", "void"):
            row = clinic.delivery(row_id)
            # The cap of the year the medicine was delivered in (a refund's too).
            year_of = clinic.delivery(row.refund_of).delivered_on if row.refund_of else None
            balance = clinic.box_balance(row.resident_id, year_of or row.delivered_on)
            out.update(delivery=_delivery_json(row), balance=_balance_json(balance))
            kind = med.KINDS.get(row.kind, row.kind)
            if action != "void":
                message += (f"：{row.delivered_on} {kind} {row.medicine} {abs(row.quantity)}"
                            f"{row.unit}，{_yuan(abs(row.total_fen))} 元（医保 "
                            f"{_yuan(abs(row.insurance_fen))}，基金 "
                            f"{_yuan(abs(row.free_fund_fen))}，个人 "
                            f"{_yuan(abs(row.patient_fen))}）")
            else:
                message += f"{kind}记录"
            message += f"。{balance.text()}"
    if args.json:
        _print_json(out)
    else:
        print(f"{message}（记录 {row_id}）")
    return 0


def _deliver(clinic: Clinic, args: argparse.Namespace) -> tuple[str, str]:
    """`medicine deliver` and `medicine correct`: the keys given, in 元, checked by the facade."""
    correcting = args.medicine_command == "correct"
    values = _pairs(args.values, tuple(CORRECT_KEYS if correcting else DELIVERY_KEYS),
                    "quantity=3")
    quantity = _whole(values, "quantity", "数量")
    price, insurance, fund, patient = (_fen(values, k) for k in MONEY_KEYS)
    location = values.get("location")
    if location is not None:
        from clinic_app.domain.medicine import LOCATIONS

        location = {label: code for code, label in LOCATIONS.items()}.get(location, location)
    doctor_id = _doctor_by_name(clinic, args.doctor)["id"] if args.doctor else None
    if correcting:
        if clinic.delivery(args.delivery_id).kind == "refund":
            # A refund keeps its delivery's medicine, price and deliverer.
            extra = sorted(set(values) - set(REFUND_KEYS))
            if extra or args.medicine or args.doctor:
                given = "、".join(extra) or ("--medicine" if args.medicine else "--doctor")
                raise ClinicError(f"退药记录只能更正数量、退回金额、票据号和日期（不能改 {given}）")
        changes: dict[str, Any] = {key: value for key, value in (
            ("quantity", quantity), ("unit_price_fen", price), ("insurance_fen", insurance),
            ("free_fund_fen", fund), ("patient_fen", patient), ("delivered_on", args.on),
            ("receipt_no", values.get("receipt_no")), ("unit", values.get("unit")),
            ("location", location), ("delivered_by", doctor_id)) if value is not None}
        if args.medicine:
            owner = clinic.delivery(args.delivery_id).resident_id
            changes["item_id"] = _item_id(clinic, owner, args.medicine)
        if not changes:
            raise ClinicError("没有要更正的内容：请用 --set 写明改什么，如 unit_price=18.50")
        return clinic.correct_delivery(args.delivery_id, reason=args.reason, **changes), \
            "已更正"
    resident_id = _one_resident(clinic, args.resident)
    item_id = _item_id(clinic, resident_id, args.medicine)
    if quantity is None or price is None:
        raise ClinicError("请用 --set quantity=数量 --set unit_price=单价（元）"
                          "写明发了多少、单价多少")
    if args.auto_split:
        if fund is not None or patient is not None:
            raise ClinicError("--auto-split 会自动计算基金和个人支付，"
                              "请不要同时写 free_fund 或 patient")
        split = clinic.suggest_split(item_id, quantity * price, insurance or 0, args.on)
        fund, patient = split.free_fund_fen, split.patient_fen
    new_id = clinic.deliver(
        item_id, quantity=quantity, unit_price_fen=price, delivered_on=args.on,
        insurance_fen=insurance or 0, free_fund_fen=fund, patient_fen=patient,
        receipt_no=values.get("receipt_no", ""), delivered_by=doctor_id,
        location=location or "home", unit=values.get("unit") or "盒",
        notes=values.get("notes", ""))
    return new_id, "已发药"


CARE_WRITE_COMMANDS = {"checkup": cmd_checkup, "medicine": cmd_medicine}


CARE_COMMANDS = {"checkups-due": cmd_checkups_due, "checkup-coverage": cmd_checkup_coverage,
                 "medicine-report": cmd_medicine_report,
                 "medicine-runs-out": cmd_medicine_runs_out, "medicine-box": cmd_medicine_box,
                 **CARE_WRITE_COMMANDS}
# (end of issue 6)


def cmd_gui(args: argparse.Namespace) -> int:
    from clinic_app.ui.app import run

    return run(args.db, demo_if_empty=args.demo_if_empty)


COMMANDS = {"demo": cmd_demo, "search": cmd_search, "check": cmd_check, "policy": cmd_policy,
            "overdue": cmd_overdue, "import-roster": cmd_import_roster, "gui": cmd_gui}
COMMANDS.update(CARE_COMMANDS)  # checkups, medicine box (issue 6)


# ---------------------------------------------------------------------- 家庭医生签约 (contracts)
# Issue 5, contracts part: `clinic-app contracts expiring|expired|fulfilment` and
# `clinic-app doctors`, read-only lists over the same Clinic methods the window uses.
CONTRACT_LISTS = {"expiring": "即将到期（未续约）", "expired": "已到期未续约",
                  "fulfilment": "各村履约情况"}


def _contract_parsers(sub: Any) -> None:
    contracts = sub.add_parser("contracts", help="家庭医生签约：即将到期、已到期未续约、各村履约率")
    contracts.add_argument("list", choices=tuple(CONTRACT_LISTS),
                           help="expiring 即将到期；expired 已到期未续约；fulfilment 各村履约率")
    _common(contracts)
    contracts.add_argument("--village", default=None, help="只列出这个村")
    contracts.add_argument("--as-of", type=_date_arg, default=None, help="按哪天计算（默认今天）")
    doctors = sub.add_parser("doctors", help="家庭医生团队与医生名单（含在约签约数）")
    _common(doctors)


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def cmd_contracts(args: argparse.Namespace) -> int:
    with _open_existing(args) as clinic:
        village_id = _village_id(clinic, args.village)
        as_of = args.as_of or clinic.today()
        if args.list == "fulfilment":
            # A whole township takes seconds: show progress to a person, not to a script.
            progress = _stderr_progress(args) if sys.stderr.isatty() else None
            report = clinic.village_fulfilment(as_of, village_id=village_id,
                                               progress=progress)
            if progress is not None:
                print(_after_progress(), end="", file=sys.stderr)
        else:
            lister = clinic.expiring_soon if args.list == "expiring" else \
                clinic.expired_contracts
            rows = lister(as_of, village_id=village_id)
    if args.list == "fulfilment":
        if args.json:
            _print_json(report)
            return 0
        if not report["villages"]:
            print(f"{as_of} 没有在约的签约", file=sys.stderr)
            return 0
        print("村\t在约人数\t全部履约\t应履约项目\t已完成\t履约率\t按进度完成\t进度达标率")
        for row in [*report["villages"], {**report["total"], "village": "合计"}]:
            print(f"{row['village']}\t{row['contracts']}\t{row['contracts_done']}\t"
                  f"{row['items']}\t{row['items_done']}\t{_rate(row['item_rate'])}\t"
                  f"{row['items_on_track']}\t{_rate(row['on_track_rate'])}")
        return 0
    if args.json:
        _print_json([{k: row[k] for k in (
            "id", "resident_id", "name", "sex", "age", "phone", "village", "group_name",
            "household_no", "start_on", "end_on", "days_left", "package_code", "package",
            "agreement_no", "doctor", "team")} for row in rows])
        return 0
    if not rows:
        print(f"没有{CONTRACT_LISTS[args.list]}的签约", file=sys.stderr)
    for row in rows:
        left = f"剩{row['days_left']}天" if row["days_left"] >= 0 else \
            f"已过期{-row['days_left']}天"
        print(f"{row['name']}\t{row['village'] or ''}{row['group_name'] or ''}\t"
              f"{row['end_on']}到期\t{left}\t{row['package']}\t医生:{row['doctor'] or '未指定'}\t"
              f"{row['phone']}")
    return 0


def cmd_doctors(args: argparse.Namespace) -> int:
    with _open_existing(args) as clinic:
        rows = clinic.doctor_list()
    if args.json:
        _print_json([{**row, "active": bool(row["active"]),
                      "role_label": codes.label(codes.DOCTOR_ROLES, row["role"])}
                     for row in rows])
        return 0
    if not rows:
        print("还没有登记医生", file=sys.stderr)
    for row in rows:
        state = "" if row["active"] else "\t已停用"
        print(f"{row['name']}\t{codes.label(codes.DOCTOR_ROLES, row['role'])}\t"
              f"{row['team'] or '无团队'}\t{row['phone'] or ''}\t在约签约 {row['contracts']} 份"
              f"{state}")
    return 0


COMMANDS.update({"contracts": cmd_contracts, "doctors": cmd_doctors})


# ---------------------------------------------------------------------- 打印 (printing, issue 7)
# `clinic-app print KIND --db PATH --out FILE.pdf …`: the same print jobs the window runs
# (clinic_app.printing), saved as a PDF and recorded in the print log (--no-record to skip).
# Exit codes: 0 printed; 1 error (e.g. a character the font lacks, listed in Chinese);
# 5 nothing to print (nobody chosen, or nothing changed since the last print).
EXIT_NOTHING_TO_PRINT = 5
PRINT_KINDS = {
    "contact-cards": "签约服务联系卡（每张A4十张，--single 为单张卡片）",
    "household-cards": "户政策明白卡（每户一张A4，--a5 用A5纸）",
    "visit-list": "随访工作单（今日待办，按风险排序）",
    "follow-up-forms": "随访服务记录表（空白或已填）",
    "checkup-report": "健康体检报告",
    "monthly-report": "健康扶贫月报",
}
MISSING_HELP = "字库中没有的生僻字：error 停止并列出（默认）；mark 印成□手写补上；skip 跳过这些人"


def _print_parsers(sub: Any) -> None:
    printing = sub.add_parser("print", help="打印卡片、随访单、表格和月报（生成PDF）")
    kinds = printing.add_subparsers(dest="print_kind", parser_class=_Parser, required=True)
    for kind, help_text in PRINT_KINDS.items():
        p = kinds.add_parser(kind, help=help_text)
        _common(p)
        p.add_argument("--out", type=Path, required=True, help="保存为这个PDF文件")
        p.add_argument("--missing", choices=("error", "mark", "skip"), default="error",
                       help=MISSING_HELP)
        p.add_argument("--no-record", action="store_true",
                       help="不记入打印记录（只是预览，不算已发放）")
        if kind != "monthly-report":
            p.add_argument("--village", default=None, help="只打印这个村")
        if kind in ("contact-cards", "household-cards"):
            p.add_argument("--changed-only", action="store_true",
                           help="只打印自上次打印以来内容有变化（或从未打印）的")
        if kind in ("follow-up-forms", "checkup-report", "contact-cards"):
            p.add_argument("--resident", action="append", default=None, metavar="ID",
                           help="只打印这位居民（档案编号，可重复）")
    kinds.choices["contact-cards"].add_argument(
        "--single", action="store_true", help="单张卡片（85.6×54毫米，卡片打印机）")
    kinds.choices["contact-cards"].add_argument(
        "--foldover", action="store_true", help="正反面并排，裁下对折（不能双面打印时）")
    kinds.choices["household-cards"].add_argument("--a5", action="store_true",
                                                  help="用A5纸")
    visit = kinds.choices["visit-list"]
    visit.add_argument("--doctor", default=None, help="只列这位医生的签约居民（医生姓名）")
    visit.add_argument("--as-of", type=_date_arg, default=None, help="按哪天计算（默认今天）")
    visit.add_argument("--within", type=int, default=None, help="包括几天内到期的")
    kinds.choices["monthly-report"].add_argument("--month", default=None,
                                                 help="月份，如 2026-10（默认本月）")
    forms = kinds.choices["follow-up-forms"]
    forms.add_argument("--form", default=None,
                       choices=("hypertension", "diabetes", "combined", "tuberculosis",
                                "severe_mental"), help="随访表种类（空白表必填）")
    forms.add_argument("--blank", action="store_true", help="空白表（不填以往随访）")
    forms.add_argument("--copies", type=int, default=1, help="空白表份数")
    jobs_cmd = kinds.add_parser("jobs", help="最近的打印记录（可按编号重印）")
    _common(jobs_cmd)
    jobs_cmd.add_argument("--limit", type=int, default=20)
    again = kinds.add_parser("reprint", help="按打印记录编号重印")
    _common(again)
    again.add_argument("job_id")
    again.add_argument("--out", type=Path, required=True, help="保存为这个PDF文件")
    again.add_argument("--missing", choices=("error", "mark", "skip"), default="error",
                       help=MISSING_HELP)
    again.add_argument("--no-record", action="store_true", help="不记入打印记录")


def _doctor_id(clinic: Clinic, name: str | None) -> str | None:
    if not name:
        return None
    matches = [d for d in clinic.doctors() if d["name"] == name]
    if not matches:
        raise ClinicError(f"没有名为“{name}”的在岗医生")
    if len(matches) > 1:
        raise ClinicError(f"有 {len(matches)} 位医生叫“{name}”，请在窗口中选择")
    return matches[0]["id"]


def _print_job(args: argparse.Namespace, clinic: Clinic) -> Any:
    from clinic_app import printing  # reportlab loads only for print commands

    kind = args.print_kind
    progress = _stderr_progress(args)
    common = {"missing": args.missing, "progress": progress}
    if kind == "reprint":
        return printing.reprint(clinic, args.job_id, **common)
    village_id = _village_id(clinic, getattr(args, "village", None))
    if kind == "contact-cards":
        layout = "single" if args.single else "foldover" if args.foldover else "duplex"
        return printing.contact_cards_pdf(clinic, village_id=village_id,
                                          resident_ids=args.resident, layout=layout,
                                          changed_only=args.changed_only, **common)
    if kind == "household-cards":
        return printing.household_cards_pdf(clinic, village_id=village_id,
                                            changed_only=args.changed_only,
                                            paper="A5" if args.a5 else "A4", **common)
    if kind == "visit-list":
        return printing.visit_list_pdf(clinic, village_id=village_id,
                                       doctor_id=_doctor_id(clinic, args.doctor),
                                       as_of=args.as_of, due_within=args.within, **common)
    if kind == "follow-up-forms":
        return printing.follow_up_forms_pdf(clinic, resident_ids=args.resident,
                                            village_id=village_id, form=args.form,
                                            blank=args.blank, copies=args.copies, **common)
    if kind == "checkup-report":
        residents = args.resident or clinic.print_subjects("resident", village_id=village_id)
        return printing.checkup_report_pdf(clinic, residents, **common)
    output, _numbers = printing.monthly_report_pdf(clinic, args.month, **common)
    return output


def cmd_print(args: argparse.Namespace) -> int:
    from clinic_app import printing

    with _open_existing(args) as clinic:
        if args.print_kind == "jobs":
            jobs = clinic.print_jobs(args.limit)
            if args.json:
                _print_json(jobs)
            for job in [] if args.json else jobs:
                print(f"{job['job_id']}\t{job['printed_at'][:16]}\t"
                      f"{printing.KINDS.get(job['kind'], job['kind'])}\t{job['subjects']}份\t"
                      f"{job['user']}")
            if not jobs and not args.json:
                print("还没有打印记录", file=sys.stderr)
            return 0
        try:
            output = _print_job(args, clinic)
        except printing.NothingToPrint as exc:
            print(f"{_after_progress()}{exc}", file=sys.stderr)
            return EXIT_NOTHING_TO_PRINT
        path = output.save(args.out)
        job_id = None if args.no_record else output.record(clinic)
    if args.json:
        _print_json({**output.summary(), "out": str(path), "job_id": job_id})
        return 0
    name = printing.KINDS.get(output.kind, output.kind)
    print(f"{_after_progress()}已生成{name}：{len(output.items)} 份，共 {output.pages} 页 → {path}",
          file=sys.stderr)
    if output.skipped:
        print(f"未打印 {len(output.skipped)} 份：{printing.jobs.skipped_summary(output.skipped)}"
              "（--json 列出每一位）", file=sys.stderr)
        for item in output.skipped[:10]:
            print(f"  {item.name or item.subject_id}：{item.reason}", file=sys.stderr)
    for problem in output.marked:
        print(f"已用□代替生僻字，请手写补上：{problem.describe()}", file=sys.stderr)
    if job_id:
        print(f"打印记录编号：{job_id}（重印：clinic-app print reprint {job_id} --out …）",
              file=sys.stderr)
    return 0


COMMANDS.update({"print": cmd_print})
# (end of printing, issue 7)


# ---------------------------------------------------------------------- 随访 (follow-up forms)
# Issue 5: record, correct and list visits on the national forms from a script, through the same
# Clinic methods (and checks) as the window. Values are given as key=value; `follow-up fields`
# lists the keys of a form with units and plausible ranges.
def _follow_up_parsers(sub: Any) -> None:
    from clinic_app.domain import followup

    fu = sub.add_parser("follow-up", help="随访记录：录入、更正、查看（国家基本公卫随访表）")
    fu_sub = fu.add_subparsers(dest="follow_up_command", parser_class=_Parser, required=True)
    record = fu_sub.add_parser("record", help="录入一次随访（分类和下次日期由规则建议）")
    _common(record)
    record.add_argument("resident", help="姓名、拼音首字母、身份证号或档案 id（须唯一确定一人）")
    record.add_argument("--form", choices=tuple(followup.FORMS), default=None,
                        help="随访表（默认按此人的慢病自动选择）")
    record.add_argument("--set", dest="values", action="append", default=[],
                        metavar="字段=值", help="如 sbp=132；可重复；字段见 follow-up fields")
    record.add_argument("--doctor", default=None, help="随访医生姓名")
    record.add_argument("--correct", default=None, metavar="随访ID",
                        help="更正这条随访（旧记录保留在历史中）")
    record.add_argument("--reason", default="", help="更正原因（--correct 时必填）")
    listing = fu_sub.add_parser("list", help="一位居民的全部随访（更正后的为准）")
    _common(listing)
    listing.add_argument("resident", help="姓名、拼音首字母、身份证号或档案 id")
    void = fu_sub.add_parser("void", help="作废一条录错的随访（连同更正前的版本，记录保留）")
    _common(void)
    void.add_argument("follow_up_id", metavar="随访ID")
    void.add_argument("--reason", required=True, help="作废原因，如：录到了别人的档案上")
    mark = fu_sub.add_parser("mark",
                             help="今日待办的联系记录：已电话、已上门、联系不上（不算随访）")
    _common(mark)
    mark.add_argument("resident", help="姓名、拼音首字母、身份证号或档案 id")
    mark.add_argument("--outcome", required=True, choices=("called", "visited", "unreachable"),
                      help="called 已电话；visited 已上门；unreachable 联系不上")
    mark.add_argument("--note", default="", help="备注")
    mark.add_argument("--doctor", default=None, help="医生姓名")
    fields = fu_sub.add_parser("fields", help="随访表的字段、单位和合理范围")
    fields.add_argument("--form", choices=tuple(followup.FORMS), required=True)
    fields.add_argument("--json", action="store_true", help="以 JSON 输出")


def _one_resident(clinic: Clinic, text: str) -> str:
    """A record id, ID number or search that finds exactly one person."""
    try:
        return clinic.resident(text).id
    except ClinicError:
        hits = clinic.search(text, 10)
    if len(hits) != 1:
        names = "、".join(f"{h['name']}（{h['masked_id'] or h['village'] or ''}）" for h in hits)
        found = f"：{names}" if hits else ""
        raise ClinicError(f"“{text}”找到 {len(hits)} 人{found}，"
                          "请用身份证号或档案 id 指定一人")
    return str(hits[0]["id"])


def _visit_json(visit: Any) -> dict[str, Any]:
    return {"id": visit.id, "form": visit.form, "visit_date": str(visit.visit_date),
            "method": visit.method, "sbp": visit.sbp, "dbp": visit.dbp,
            "fasting_glucose": visit.fasting_glucose, "weight_kg": visit.weight_kg,
            "heart_rate": visit.heart_rate, "classification": visit.classification,
            "proposed_classification": visit.proposed_classification,
            "next_visit_on": str(visit.next_visit_on or ""),
            "proposed_next_on": str(visit.proposed_next_on or ""),
            "override_reason": visit.override_reason, "referral_to": visit.referral_to,
            "referral_reason": visit.referral_reason, "doctor_id": visit.doctor_id,
            "supersedes_id": visit.supersedes_id, "data": visit.data}


def cmd_follow_up(args: argparse.Namespace) -> int:
    from clinic_app import work_list
    from clinic_app.domain import followup

    if args.follow_up_command == "fields":
        specs = followup.fields_of(args.form)
        if args.json:
            _print_json([{"key": f.key, "label": f.label, "kind": f.kind, "unit": f.unit,
                          "low": f.low, "high": f.high, "section": followup.SECTIONS[f.section],
                          "choices": dict(f.choice_items()) or None, "carried": f.carry}
                         for f in specs])
        else:
            for f in specs:
                choices = "/".join(f"{c}={label}" for c, label in f.choice_items())
                print(f"{f.key}\t{f.label}\t{f.unit}\t{f.range_text()}\t{choices}")
        return 0
    if args.follow_up_command == "record":
        return _record_follow_up(args)
    if args.follow_up_command in ("void", "mark"):
        with _open_existing(args) as clinic:
            if args.follow_up_command == "void":
                clinic.void_follow_up(args.follow_up_id, args.reason)
                result = {"id": args.follow_up_id, "voided": True}
                text = f"已作废随访记录 {args.follow_up_id}"
            else:
                resident_id = _one_resident(clinic, args.resident)
                doctor_id = _doctor_by_name(clinic, args.doctor)["id"] if args.doctor else None
                done = clinic.mark_contact(resident_id, args.outcome, args.note, doctor_id)
                result = {"resident_id": resident_id, "outcome": args.outcome,
                          "change": done.change}
                now = work_list.CONTACT_LABELS.get(args.outcome, args.outcome)
                before = work_list.CONTACT_LABELS.get(done.before or "", done.before or "")
                text = {"unchanged": f"今天已记为{now}，未重复记录",
                        "updated": f"已把今天的记录从{before}改为{now}"}.get(
                            done.change, f"已记录：{now}")
        if args.json:
            _print_json(result)
        else:
            print(text)
        return 0
    with _open_existing(args) as clinic:
        resident_id = _one_resident(clinic, args.resident)
        visits = clinic.follow_ups(resident_id)
    if args.json:
        _print_json([_visit_json(v) for v in visits])
        return 0
    for v in visits:
        label = followup.CLASSES.get(v.classification) or followup.SMI_STABILITY.get(
            v.classification, "")
        bp = f"{v.sbp}/{v.dbp}" if v.sbp and v.dbp else ""
        print(f"{v.visit_date}\t{followup.FORM_SHORT.get(v.form, v.form)}\t{bp}\t"
              f"{v.fasting_glucose if v.fasting_glucose is not None else ''}\t{label}\t"
              f"下次 {v.next_visit_on or ''}\t{v.id}")
    if not visits:
        print("没有随访记录", file=sys.stderr)
    return 0


def _record_follow_up(args: argparse.Namespace) -> int:
    from clinic_app.domain import followup

    raw: dict[str, Any] = {}
    for item in args.values:
        key, sep, value = item.partition("=")
        if not sep:
            raise ClinicError(f"“{item}”应写成 字段=值，如 sbp=132")
        spec = followup.FIELD_BY_KEY.get(key.strip())
        raw[key.strip()] = [v for v in value.split(",") if v] if spec and spec.kind == "multi" \
            else value.replace("\\n", "\n")
    with _open_existing(args) as clinic:
        resident_id = _one_resident(clinic, args.resident)
        if args.doctor:
            raw["doctor_id"] = _doctor_by_name(clinic, args.doctor)["id"]
        if args.correct:
            saved = clinic.correct_follow_up(args.correct, raw, args.reason, changes_only=True)
        else:
            forms = clinic.follow_up_forms(resident_id)
            form = args.form or (forms[0] if forms else None)
            if form is None:
                raise ClinicError("此人没有需要随访管理的慢病，请用 --form 指定随访表")
            draft = clinic.follow_up_draft(resident_id, form)
            values = {**draft.values, **raw}
            if draft.doctor_id and "doctor_id" not in values:
                values["doctor_id"] = draft.doctor_id
            saved = clinic.record_follow_up(resident_id, form, values)
        visit = clinic.follow_up(saved)
    if args.json:
        _print_json(_visit_json(visit))
    else:
        label = followup.CLASSES.get(visit.classification) or followup.SMI_STABILITY.get(
            visit.classification, "")
        print(f"已保存 {visit.visit_date} 的随访：{label}，下次随访 {visit.next_visit_on}"
              f"（记录 {visit.id}）")
    return 0


COMMANDS.update({"follow-up": cmd_follow_up})
# (end of follow-up forms, issue 5)


# ---------------------------------------------------------------------- 签约操作 (sign, renew, end)
# Issue 5: the writes behind the 签约 tab, for a county clerk's script. Lists are `contracts`.
def _contract_write_parsers(sub: Any) -> None:
    contract = sub.add_parser("contract", help="签约、续约、解约、登记履约服务（一位居民）")
    actions = contract.add_subparsers(dest="contract_command", parser_class=_Parser,
                                      required=True)
    sign = actions.add_parser("sign", help="为一位居民签约家庭医生")
    _common(sign)
    sign.add_argument("resident", help="姓名、拼音首字母、身份证号或档案 id（须唯一确定一人）")
    sign.add_argument("--doctor", required=True, help="签约医生姓名（其所在团队一并签约）")
    sign.add_argument("--package", required=True, help="服务包代码，见 policy show 的服务包")
    sign.add_argument("--start", type=_date_arg, default=None, help="开始日期（默认今天）")
    sign.add_argument("--agreement", default="", help="纸质协议编号")
    renew = actions.add_parser("renew", help="续约：从原签约到期次日开始（已到期的从今天开始）")
    _common(renew)
    renew.add_argument("contract_id", help="原签约的记录 id（见 contracts expiring --json）")
    renew.add_argument("--agreement", default="", help="新的纸质协议编号")
    end = actions.add_parser("end", help="解约（死亡、迁出、本人拒绝、其他）")
    _common(end)
    end.add_argument("contract_id")
    end.add_argument("--reason", required=True, choices=tuple(codes.CONTRACT_END_REASONS),
                     help="death 死亡；moved 迁出；refused 本人拒绝；other 其他（须写 --note）")
    end.add_argument("--on", type=_date_arg, default=None, help="解约日期（默认今天）")
    end.add_argument("--note", default="", help="说明")
    team = actions.add_parser("team-add", help="新建家庭医生团队")
    _common(team)
    team.add_argument("name", help="团队名称")
    team.add_argument("--phone", default="", help="团队电话")
    team.add_argument("--village", default=None, help="服务的村（或卫生院所在乡镇）名称")
    doctor = actions.add_parser("doctor-add", help="新建医生（加入一个团队）")
    _common(doctor)
    doctor.add_argument("name", help="医生姓名")
    doctor.add_argument("--team", required=True, help="所在团队名称")
    doctor.add_argument("--phone", default="", help="手机")
    doctor.add_argument("--role", default="village_doctor", choices=tuple(codes.DOCTOR_ROLES),
                        help="类别：" + "；".join(f"{k} {v}"
                                                 for k, v in codes.DOCTOR_ROLES.items()))
    stop = actions.add_parser("doctor-stop", help="停用医生（离岗、退休；记录保留）")
    _common(stop)
    stop.add_argument("name", help="医生姓名")
    service = actions.add_parser("service", help="登记一次履约服务（健康教育、健康咨询等）")
    _common(service)
    service.add_argument("resident", help="姓名、拼音首字母、身份证号或档案 id")
    service.add_argument("--service", required=True, help="服务代码，如 health_education")
    service.add_argument("--on", type=_date_arg, default=None, help="日期（默认今天）")
    service.add_argument("--doctor", default=None, help="医生姓名")
    service.add_argument("--note", default="", help="内容摘要")


def _doctor_by_name(clinic: Clinic, name: str) -> dict[str, Any]:
    matches = [d for d in clinic.doctors() if d["name"] == name]
    if len(matches) != 1:
        raise ClinicError(f"找到 {len(matches)} 位叫“{name}”的在岗医生，请核对姓名")
    return matches[0]


def cmd_contract(args: argparse.Namespace) -> int:
    with _open_existing(args) as clinic:
        today = clinic.today()
        action = args.contract_command
        if action == "sign":
            resident_id = _one_resident(clinic, args.resident)
            doctor = clinic.doctor(_doctor_by_name(clinic, args.doctor)["id"])
            row_id = clinic.sign_contract(
                resident_id, team_id=doctor.team_id, doctor_id=doctor.id,
                package_code=args.package, start_on=args.start or today,
                agreement_no=args.agreement)
            message = "已签约"
        elif action == "renew":
            row_id = clinic.renew_contract(args.contract_id, agreement_no=args.agreement)
            message = "已续约"
        elif action == "team-add":
            place_id = None
            if args.village:
                matches = [p for p in clinic.places() if p.name == args.village]
                if len(matches) != 1:
                    raise ClinicError(f"找到 {len(matches)} 个叫“{args.village}”的村或乡镇")
                place_id = matches[0].id
            row_id = clinic.add_team(args.name, args.phone, place_id)
            message = f"已新建团队 {args.name}"
        elif action == "doctor-add":
            teams = [t for t in clinic.team_list(include_inactive=False)
                     if t["name"] == args.team]
            if len(teams) != 1:
                raise ClinicError(f"找到 {len(teams)} 个叫“{args.team}”的团队")
            row_id = clinic.add_doctor(args.name, role=args.role, phone=args.phone,
                                       team_id=teams[0]["id"])
            message = f"已新建医生 {args.name}"
        elif action == "doctor-stop":
            row_id = _doctor_by_name(clinic, args.name)["id"]
            warnings = clinic.set_doctor_active(row_id, False)
            message = "已停用" + (f"（{'；'.join(warnings)}）" if warnings else "")
        elif action == "end":
            clinic.end_contract(args.contract_id, args.reason, args.on or today, args.note)
            row_id = args.contract_id
            message = f"已解约（{codes.CONTRACT_END_REASONS[args.reason]}）"
            if args.reason in ("death", "moved"):
                # The contract ends, the person stays 在册 (on every list) until the leaving is
                # recorded itself, which would also have ended the contract.
                status = "deceased" if args.reason == "death" else "moved"
                contract = clinic.contract(args.contract_id)
                message += (f"；此人仍在册，请同时登记人员变动：clinic-app resident leave "
                            f"{contract.resident_id} --status {status} --db …")
        else:
            resident_id = _one_resident(clinic, args.resident)
            doctor_id = _doctor_by_name(clinic, args.doctor)["id"] if args.doctor else None
            row_id = clinic.record_service(resident_id, args.service, args.on or today,
                                           doctor_id=doctor_id, note=args.note)
            message = "已登记服务"
    if args.json:
        _print_json({"id": row_id, "action": action})
    else:
        print(f"{message}（记录 {row_id}）")
    return 0


COMMANDS.update({"contract": cmd_contract})
# (end of contract writes)


# ---------------------------------------------------------------------- 人员变动 (died, moved away)
# What the household page's 迁出/死亡 does, for the county clerk's script: the resident leaves the
# register (lists, work list, checkups due, reports) with the date, the contract in force ends
# with the same reason, and the record and its history stay; `restore` undoes a mistake.
def _resident_parsers(sub: Any) -> None:
    resident = sub.add_parser("resident", help="人员变动：死亡、迁出（记录保留），或撤销误登记")
    actions = resident.add_subparsers(dest="resident_command", parser_class=_Parser,
                                      required=True)
    leave = actions.add_parser("leave", help="登记死亡或迁出（签约随之解约，记录保留）")
    _common(leave)
    leave.add_argument("resident", help="姓名、拼音首字母、身份证号或档案 id（须唯一确定一人）")
    leave.add_argument("--status", required=True, choices=END_STATUSES,
                       help="deceased 死亡；moved 迁出")
    leave.add_argument("--on", type=_date_arg, default=None, help="日期（默认今天）")
    leave.add_argument("--reason", default="", help="说明，如：迁往银川市")
    restore = actions.add_parser("restore", help="撤销误登记的死亡或迁出，恢复在册")
    _common(restore)
    restore.add_argument("resident", help="档案 id 或身份证号（见 resident leave 的输出）")
    restore.add_argument("--reason", required=True, help="撤销原因，如：登记错人")


def cmd_resident(args: argparse.Namespace) -> int:
    with _open_existing(args) as clinic:
        resident_id = _one_resident(clinic, args.resident)
        person = clinic.resident(resident_id)
        if args.resident_command == "leave":
            warnings = clinic.end_residence(resident_id, args.status, args.on or clinic.today(),
                                            args.reason)
            message = f"已登记{codes.RESIDENT_STATUS[args.status]}：{person.name}"
        else:
            clinic.restore_residence(resident_id, args.reason)
            warnings = ["签约不会随之恢复，如需服务请重新签约"]
            message = f"已恢复在册：{person.name}"
    if args.json:
        _print_json({"id": resident_id, "action": args.resident_command,
                     "warnings": warnings})
    else:
        print(message + "".join(f"\n注意：{w}" for w in warnings))
    return 0


COMMANDS.update({"resident": cmd_resident})
# (end of 人员变动)


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
