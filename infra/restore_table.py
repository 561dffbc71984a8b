#!/usr/bin/env python3
"""Restore the Bookwarden table into a NEW table and verify it.

The restore never writes to the source table: the target must not exist.

  restore_table.py --source-table STACK-data --point-in-time 2026-11-20T10:00:00Z \
      --kms-key alias/STACK/table
  restore_table.py --source-table STACK-data --point-in-time latest --kms-key alias/STACK/table
  restore_table.py --source-table STACK-data --backup-arn arn:aws:dynamodb:...:backup/... \
      --kms-key alias/STACK/table
  # a copy in the second region: restore there; the source table is not in that
  # region, so give the item count the backup had
  restore_table.py --region eu-west-1 --source-table STACK-data --backup-arn arn:aws:backup:eu-west-1:... \
      --kms-key alias/STACK/table --expect-count 123456

Steps: resolve the KMS key (it must exist and be enabled), start the restore
with SSE on that key, wait (bounded) until the new table is ACTIVE, turn on
point-in-time recovery and deletion protection on it (a restore does not carry
them), then verify:

  * items: a full paginated Scan (Select=COUNT) of the restored table against
    one of the source table, or against --expect-count;
  * sample: up to --sample random keys taken from the restored table and from
    the source (when it exists in this region), each read with a consistent
    GetItem from both tables; the items must be identical.

Prints one JSON summary on stdout. Exit codes: 0 verified; 1 verification
found a difference (or the table's encryption is not the requested key);
2 bad input (missing table, unknown backup, time outside the recovery window,
unknown key, target exists); 3 the restore did not become ACTIVE in time (it
goes on in AWS: rerun with --resume --target-table NAME to wait and verify).

Standard library and boto3 only. --endpoint-url points it at a local stand-in.
"""

import argparse
import datetime as dt
import json
import random
import re
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

NOT_CARRIED = ["stream", "time to live", "tags", "auto scaling", "alarms", "resource policy"]


class Failure(Exception):
    """An error to print without a traceback, with its exit code."""

    def __init__(self, message, code=2):
        super().__init__(message)
        self.code = code


def error_code(exc):
    return exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""


def error_message(exc):
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', 'Error')}: {err.get('Message', '')}"
    return str(exc)


def parse_time(text):
    if text == "latest":
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Failure(f"--point-in-time {text!r}: expected an ISO 8601 time such as 2026-11-20T10:00:00Z, or latest")
    if when.tzinfo is None:
        raise Failure(f"--point-in-time {text!r}: give a time zone (Z for UTC)")
    return when.astimezone(dt.timezone.utc)


def arn_region(arn):
    """The region of a DynamoDB backup ARN or an AWS Backup recovery point ARN."""
    match = re.fullmatch(r"arn:aws[a-z-]*:(dynamodb|backup):([a-z0-9-]+):\d{12}:\S+", arn)
    if not match:
        raise Failure(
            f"--backup-arn {arn!r}: not a DynamoDB backup ARN (arn:aws:dynamodb:...:table/.../backup/...) "
            "or an AWS Backup recovery point ARN (arn:aws:backup:...:recovery-point:...)"
        )
    return match.group(2)


def resolve_key(kms, key):
    try:
        meta = kms.describe_key(KeyId=key)["KeyMetadata"]
    except ClientError as exc:
        raise Failure(f"KMS key {key}: {error_message(exc)} (the restored table needs this key to exist)")
    if meta.get("KeyState", "Enabled") != "Enabled":
        raise Failure(f"KMS key {key} ({meta['Arn']}) is {meta.get('KeyState')}, not Enabled")
    return meta


def table_exists(ddb, name):
    try:
        ddb.describe_table(TableName=name)
        return True
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return False
        raise


def check_window(ddb, source, when):
    """Fails clearly when PITR is off or `when` lies outside its window."""
    try:
        desc = ddb.describe_continuous_backups(TableName=source)["ContinuousBackupsDescription"]
    except ClientError as exc:
        if error_code(exc) in ("TableNotFoundException", "ResourceNotFoundException"):
            raise Failure(f"source table {source} not found in this region")
        raise
    pitr = desc.get("PointInTimeRecoveryDescription", {})
    if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
        raise Failure(f"point-in-time recovery is not enabled on {source}: restore from a backup instead")
    earliest = pitr.get("EarliestRestorableDateTime")
    latest = pitr.get("LatestRestorableDateTime")
    window = f"restorable window: {fmt(earliest)} to {fmt(latest)} (latest moves with time)"
    if when is None:
        return window
    if earliest is not None and when < earliest:
        raise Failure(f"point in time {fmt(when)} is before the earliest restorable time of {source}; {window}")
    if when > dt.datetime.now(dt.timezone.utc):
        raise Failure(f"point in time {fmt(when)} is in the future; {window}")
    return window


def fmt(when):
    return when.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z") if when else None


def start_restore(ddb, args, key_arn):
    sse = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn}
    if args.backup_arn:
        try:
            ddb.restore_table_from_backup(
                TargetTableName=args.target_table, BackupArn=args.backup_arn, SSESpecificationOverride=sse
            )
        except ClientError as exc:
            code = error_code(exc)
            if code == "BackupNotFoundException":
                raise Failure(f"backup {args.backup_arn} not found in {ddb.meta.region_name}")
            if code == "TableAlreadyExistsException":
                raise Failure(f"table {args.target_table} already exists: choose another --target-table")
            if code == "BackupInUseException":
                raise Failure(f"backup {args.backup_arn} is in use by another operation: retry later")
            raise
        return {"kind": "backup", "backup_arn": args.backup_arn}
    when = parse_time(args.point_in_time)
    window = check_window(ddb, args.source_table, when)
    request = {"SourceTableName": args.source_table, "TargetTableName": args.target_table, "SSESpecificationOverride": sse}
    if when is None:
        request["UseLatestRestorableTime"] = True
    else:
        request["RestoreDateTime"] = when
    try:
        ddb.restore_table_to_point_in_time(**request)
    except ClientError as exc:
        code = error_code(exc)
        if code == "SourceTableNotFoundException":
            raise Failure(f"source table {args.source_table} not found in this region")
        if code == "InvalidRestoreTimeException":
            raise Failure(f"point in time {fmt(when)} rejected: {error_message(exc)}; {window}")
        if code == "PointInTimeRecoveryUnavailableException":
            raise Failure(f"point-in-time recovery unavailable on {args.source_table}: {error_message(exc)}")
        if code == "TableAlreadyExistsException":
            raise Failure(f"table {args.target_table} already exists: choose another --target-table")
        raise
    return {"kind": "point-in-time", "point_in_time": fmt(when) or "latest"}


def wait_active(ddb, name, timeout, poll):
    deadline = time.monotonic() + timeout
    while True:
        try:
            status = ddb.describe_table(TableName=name)["Table"]["TableStatus"]
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            status = "NOT YET VISIBLE"
        if status == "ACTIVE":
            return
        if time.monotonic() >= deadline:
            raise Failure(
                f"{name} is still {status} after {timeout:g}s; the restore goes on in AWS. "
                f"Wait and verify later with: --resume --target-table {name} (and the same source options)",
                code=3,
            )
        time.sleep(poll)


def retry_while_enabling(call, timeout, poll):
    """A just-restored table refuses some updates while backups are being
    enabled on it; retry those until `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except ClientError as exc:
            if error_code(exc) not in ("ContinuousBackupsUnavailableException", "ResourceInUseException"):
                raise
            if time.monotonic() >= deadline:
                raise Failure(f"could not update the restored table in time: {error_message(exc)}", code=3)
            time.sleep(poll)


def protect(ddb, name, timeout, poll):
    retry_while_enabling(
        lambda: ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        ),
        timeout,
        poll,
    )
    retry_while_enabling(lambda: ddb.update_table(TableName=name, DeletionProtectionEnabled=True), timeout, poll)
    wait_active(ddb, name, timeout, poll)
    table = ddb.describe_table(TableName=name)["Table"]
    pitr = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    return {
        "point_in_time_recovery": pitr.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus"),
        "deletion_protection": bool(table.get("DeletionProtectionEnabled")),
    }


def check_sse(table, key_meta, key_arg, local):
    sse = table.get("SSEDescription") or {}
    reported = sse.get("KMSMasterKeyArn")
    accepted = {key_meta["Arn"], key_meta["KeyId"], key_arg}
    result = {"requested": key_meta["Arn"], "reported": reported}
    if sse.get("SSEType") == "KMS" and reported in accepted:
        result["ok"] = True
    elif not sse and local:
        # A local stand-in (moto) does not report encryption on restored
        # tables; there is nothing to check.
        result["ok"] = None
        result["note"] = "the endpoint reports no encryption for the restored table"
    else:
        result["ok"] = False
    return result


def count_items(ddb, name):
    total = 0
    request = {"TableName": name, "Select": "COUNT", "ConsistentRead": True}
    while True:
        page = ddb.scan(**request)
        total += page["Count"]
        if "LastEvaluatedKey" not in page:
            return total
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def sample_keys(ddb, name, key_names, size, rng):
    """Up to `size` keys chosen uniformly from the whole table (reservoir)."""
    chosen, seen = [], 0
    names = {f"#k{i}": k for i, k in enumerate(key_names)}
    request = {
        "TableName": name,
        "ProjectionExpression": ", ".join(names),
        "ExpressionAttributeNames": names,
    }
    while True:
        page = ddb.scan(**request)
        for item in page["Items"]:
            seen += 1
            if len(chosen) < size:
                chosen.append(item)
            else:
                slot = rng.randrange(seen)
                if slot < size:
                    chosen[slot] = item
        if "LastEvaluatedKey" not in page:
            return chosen
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def canonical(value):
    """DynamoDB JSON with sets in a fixed order, for comparison."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ("SS", "NS") and isinstance(v, list):
                out[k] = sorted(v)
            elif k == "BS" and isinstance(v, list):
                out[k] = sorted(bytes(b) for b in v)
            else:
                out[k] = canonical(v)
        return out
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def get_item(ddb, name, key):
    return ddb.get_item(TableName=name, Key=key, ConsistentRead=True).get("Item")


def show_key(key):
    return {k: next(iter(v.values())) for k, v in key.items()}


def compare_samples(ddb, source, target, keys):
    differences = []
    checked = set()
    for key in keys:
        marker = json.dumps(key, sort_keys=True, default=str)
        if marker in checked:
            continue
        checked.add(marker)
        a, b = get_item(ddb, source, key), get_item(ddb, target, key)
        if a is None or b is None or canonical(a) != canonical(b):
            state = "missing in source" if a is None else "missing in restored" if b is None else "items differ"
            differences.append({"key": show_key(key), "difference": state})
    return len(checked), differences


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Restore the table into a new table (point in time or backup) and verify it.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--point-in-time", metavar="TIME", help="ISO 8601 time with zone (2026-11-20T10:00:00Z), or latest")
    src.add_argument("--backup-arn", metavar="ARN", help="DynamoDB backup ARN or AWS Backup recovery point ARN")
    p.add_argument("--source-table", required=True, help="the table restored from (and compared with, if it exists)")
    p.add_argument("--target-table", help="new table name (default: SOURCE-restored-YYYYMMDDTHHMMSSZ); must not exist")
    p.add_argument("--kms-key", required=True, help="customer-managed key for the new table, e.g. alias/STACK/table")
    p.add_argument("--expect-count", type=int, help="items the table held at the restore point (instead of counting the source)")
    p.add_argument("--sample", type=int, default=100, help="random keys to compare from each side (default 100)")
    p.add_argument("--wait-timeout", type=float, default=4 * 3600, help="seconds to wait for ACTIVE (default 14400)")
    p.add_argument("--poll-seconds", type=float, default=15, help="seconds between status checks (default 15)")
    p.add_argument("--resume", action="store_true", help="the target's restore was already started: wait and verify only")
    p.add_argument("--region", help="region to restore in (default: the AWS configuration's)")
    p.add_argument("--endpoint-url", help="a local stand-in (moto) instead of AWS")
    p.add_argument("--seed", type=int, help="random seed for the sample (default: random)")
    args = p.parse_args(argv)
    if args.resume and not args.target_table:
        p.error("--resume needs --target-table")
    if args.sample < 0 or (args.expect_count is not None and args.expect_count < 0):
        p.error("--sample and --expect-count cannot be negative")
    if not args.target_table:
        args.target_table = f"{args.source_table}-restored-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}"
    if args.target_table == args.source_table:
        p.error("--target-table must differ from --source-table: the restore never replaces the live table")
    return args


def run(args):
    config = Config(retries={"max_attempts": 5, "mode": "standard"})
    session = boto3.session.Session(region_name=args.region)
    region = session.region_name
    if not region:
        raise Failure("no region: pass --region or configure one")
    if args.backup_arn:
        backup_region = arn_region(args.backup_arn)
        if backup_region != region:
            raise Failure(f"the backup is in {backup_region}, not {region}: run with --region {backup_region}")
    ddb = session.client("dynamodb", endpoint_url=args.endpoint_url, config=config)
    kms = session.client("kms", endpoint_url=args.endpoint_url, config=config)

    key_meta = resolve_key(kms, args.kms_key)
    if args.resume:
        if not table_exists(ddb, args.target_table):
            raise Failure(f"--resume: table {args.target_table} not found")
        restore = {"kind": "resumed"}
    else:
        if table_exists(ddb, args.target_table):
            raise Failure(f"table {args.target_table} already exists: choose another --target-table")
        restore = start_restore(ddb, args, key_meta["Arn"])
    print(f"restoring into {args.target_table}; waiting for ACTIVE", file=sys.stderr)
    wait_active(ddb, args.target_table, args.wait_timeout, args.poll_seconds)
    protection = protect(ddb, args.target_table, args.wait_timeout, args.poll_seconds)
    table = ddb.describe_table(TableName=args.target_table)["Table"]
    sse = check_sse(table, key_meta, args.kms_key, bool(args.endpoint_url))

    source_here = table_exists(ddb, args.source_table)
    if args.expect_count is None and not source_here:
        raise Failure(
            f"source table {args.source_table} not found in {region}: give --expect-count "
            f"(items at the restore point, e.g. the backup's ItemCount) to verify {args.target_table}"
        )
    print("counting items", file=sys.stderr)
    restored_count = count_items(ddb, args.target_table)
    if args.expect_count is not None:
        source_count, count_from = args.expect_count, "--expect-count"
    else:
        source_count, count_from = count_items(ddb, args.source_table), "scan of source"

    key_names = [k["AttributeName"] for k in table["KeySchema"]]
    rng = random.Random(args.seed)
    sample = {"size": 0, "differences": []}
    if source_here and args.sample:
        keys = sample_keys(ddb, args.target_table, key_names, args.sample, rng)
        keys += sample_keys(ddb, args.source_table, key_names, args.sample, rng)
        size, differences = compare_samples(ddb, args.source_table, args.target_table, keys)
        sample = {"size": size, "differences": differences[:20]}
    elif not source_here:
        sample["note"] = "source table not in this region: no item comparison"

    match = restored_count == source_count and not sample["differences"]
    summary = {
        "new_table": args.target_table,
        "region": region,
        "restore": restore,
        "items": {"restored": restored_count, "source": source_count, "source_counted_by": count_from},
        "sample": sample,
        "match": match,
        "encryption": sse,
        "re_enabled": protection,
        "not_carried_over": NOT_CARRIED,
    }
    print(json.dumps(summary, indent=2))
    return 0 if match and sse["ok"] is not False else 1


def main(argv=None):
    args = parse_args(argv)
    try:
        return run(args)
    except Failure as exc:
        print(f"restore_table: {exc}", file=sys.stderr)
        return exc.code
    except ClientError as exc:
        print(f"restore_table: AWS refused: {error_message(exc)}", file=sys.stderr)
        return 2
    except BotoCoreError as exc:
        print(f"restore_table: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
