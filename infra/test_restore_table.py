"""infra/restore_table.py against a local moto (infra/local/moto_serial.py):
restores into a new table, re-enables PITR and deletion protection, verifies
counts and sampled items, and fails clearly.

What moto does not do, so these tests cannot check it: it ignores the time of
RestoreTableToPointInTime (it copies the source as it is now), ignores
SSESpecificationOverride (a restored table reports no encryption), and makes
restored tables ACTIVE at once (the wait's timeout is not exercised).

Run: .venv/bin/python -m pytest infra/test_restore_table.py
(`cargo test -p bookwarden-tests --test restore_table` runs it.)
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "restore_table.py"
WRAPPER = HERE / "local" / "moto_serial.py"
REGION = "us-east-1"
ALIAS = "alias/test-stack/table"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


class Moto:
    """The local stand-in on a free port; gone when its stdin closes."""

    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, str(WRAPPER), "0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        line = self.process.stdout.readline().decode()
        assert line.startswith("listening "), f"wrapper did not start: {line!r}"
        self.endpoint = f"http://127.0.0.1:{line.split()[1]}"

    def client(self, service):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}),
        )

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def moto():
    server = Moto()
    kms = server.client("kms")
    key = kms.create_key(Description="table key")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=ALIAS, TargetKeyId=key)
    yield server
    server.stop()


@pytest.fixture
def ddb(moto):
    return moto.client("dynamodb")


def make_table(ddb, items=40, large=0, pitr=False):
    """A table shaped like the product's (PK/SK, stream, CMK, deletion
    protection) holding `items` varied items and `large` ~200 KB ones, which
    make every full scan take several pages."""
    name = f"src-{uuid.uuid4().hex[:10]}"
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": ALIAS},
        DeletionProtectionEnabled=True,
    )
    if pitr:
        ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    for i in range(items):
        ddb.put_item(
            TableName=name,
            Item={
                "PK": {"S": f"TENANT#{i % 4}"},
                "SK": {"S": f"BOOKING#{i:04}"},
                "n": {"N": str(i * 1.5)},
                "tags": {"SS": [f"t{i}", "a", "z"]},
                "blob": {"B": bytes([i % 256]) * 8},
                "m": {"M": {"nested": {"L": [{"S": "x"}, {"N": "1"}, {"BOOL": i % 2 == 0}]}}},
            },
        )
    for i in range(large):
        ddb.put_item(
            TableName=name,
            Item={"PK": {"S": "LARGE"}, "SK": {"S": f"{i:04}"}, "pad": {"S": "x" * 200_000}},
        )
    return name


def backup(ddb, table):
    return ddb.create_backup(TableName=table, BackupName=f"b-{uuid.uuid4().hex[:8]}")["BackupDetails"]["BackupArn"]


def restore(moto, *args):
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--endpoint-url", moto.endpoint, "--region", REGION,
         "--kms-key", ALIAS, "--poll-seconds", "0.1", "--wait-timeout", "30", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **CREDENTIALS},
    )
    assert "Traceback" not in out.stderr, out.stderr
    summary = json.loads(out.stdout) if out.stdout.strip() else None
    return out.returncode, summary, out.stderr


def target_name():
    return f"restored-{uuid.uuid4().hex[:10]}"


def test_restore_from_a_backup_matches_and_is_protected(moto, ddb):
    source = make_table(ddb, items=40, large=12)
    pages = ddb.scan(TableName=source, Select="COUNT")
    assert "LastEvaluatedKey" in pages, "the table should need more than one scan page"
    arn = backup(ddb, source)
    target = target_name()

    code, summary, err = restore(moto, "--source-table", source, "--backup-arn", arn,
                                 "--target-table", target, "--sample", "10", "--seed", "1")

    assert code == 0, err
    assert summary["new_table"] == target
    assert summary["match"] is True
    assert summary["items"] == {"restored": 52, "source": 52, "source_counted_by": "scan of source"}
    assert 10 < summary["sample"]["size"] <= 20 and summary["sample"]["differences"] == []
    assert summary["re_enabled"] == {"point_in_time_recovery": "ENABLED", "deletion_protection": True}
    assert "stream" in summary["not_carried_over"] and "time to live" in summary["not_carried_over"]
    # What the summary says holds on the table itself, and the source is untouched.
    assert ddb.describe_table(TableName=target)["Table"]["DeletionProtectionEnabled"] is True
    pitr = ddb.describe_continuous_backups(TableName=target)["ContinuousBackupsDescription"]
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    item = {"PK": {"S": "TENANT#3"}, "SK": {"S": "BOOKING#0007"}}
    assert ddb.get_item(TableName=target, Key=item)["Item"] == ddb.get_item(TableName=source, Key=item)["Item"]
    assert ddb.describe_table(TableName=source)["Table"]["StreamSpecification"]["StreamEnabled"] is True


def test_writes_after_the_backup_are_reported_as_a_mismatch(moto, ddb):
    source = make_table(ddb, items=30)
    arn = backup(ddb, source)
    ddb.put_item(TableName=source, Item={"PK": {"S": "TENANT#9"}, "SK": {"S": "LATE"}})
    ddb.update_item(
        TableName=source,
        Key={"PK": {"S": "TENANT#1"}, "SK": {"S": "BOOKING#0005"}},
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "-1"}},
    )

    code, summary, _ = restore(moto, "--source-table", source, "--backup-arn", arn,
                               "--target-table", target_name(), "--sample", "100")

    assert code == 1
    assert summary["match"] is False
    assert summary["items"]["restored"] == 30 and summary["items"]["source"] == 31
    assert {"key": {"PK": "TENANT#9", "SK": "LATE"}, "difference": "missing in restored"} in summary["sample"]["differences"]
    assert {"key": {"PK": "TENANT#1", "SK": "BOOKING#0005"}, "difference": "items differ"} in summary["sample"]["differences"]


def test_a_wrong_expected_count_fails(moto, ddb):
    source = make_table(ddb, items=20)
    arn = backup(ddb, source)

    code, summary, _ = restore(moto, "--source-table", source, "--backup-arn", arn,
                               "--target-table", target_name(), "--expect-count", "21")

    assert code == 1
    assert summary["match"] is False
    assert summary["items"] == {"restored": 20, "source": 21, "source_counted_by": "--expect-count"}
    assert summary["sample"]["differences"] == []


def test_a_deleted_source_is_verified_by_the_expected_count(moto, ddb):
    source = make_table(ddb, items=15)
    arn = backup(ddb, source)
    ddb.update_table(TableName=source, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=source)

    code, summary, err = restore(moto, "--source-table", source, "--backup-arn", arn, "--target-table", target_name())
    assert code == 2 and summary is None
    assert "--expect-count" in err and "not found" in err

    code, summary, err = restore(moto, "--source-table", source, "--backup-arn", arn,
                                 "--target-table", target_name(), "--expect-count", "15")
    assert code == 0, err
    assert summary["match"] is True and summary["items"]["restored"] == 15
    assert summary["sample"]["size"] == 0 and "no item comparison" in summary["sample"]["note"]


def test_an_unknown_backup_is_a_clear_error(moto, ddb):
    source = make_table(ddb, items=1)
    arn = backup(ddb, source)[:-8] + "00000000"
    target = target_name()

    code, summary, err = restore(moto, "--source-table", source, "--backup-arn", arn, "--target-table", target)

    assert code == 2 and summary is None
    assert err.strip() == f"restore_table: backup {arn} not found in {REGION}"
    assert target not in ddb.list_tables()["TableNames"]


def test_a_backup_in_another_region_needs_that_region(moto, ddb):
    arn = "arn:aws:backup:eu-west-1:123456789012:recovery-point:0123abcd-0000-0000-0000-000000000000"

    code, _, err = restore(moto, "--source-table", "whatever-data", "--backup-arn", arn)

    assert code == 2
    assert "run with --region eu-west-1" in err


def test_the_live_table_and_existing_tables_are_never_restore_targets(moto, ddb):
    source = make_table(ddb, items=1)
    other = make_table(ddb, items=1)
    arn = backup(ddb, source)

    code, _, err = restore(moto, "--source-table", source, "--backup-arn", arn, "--target-table", source)
    assert code == 2 and "must differ" in err
    code, _, err = restore(moto, "--source-table", source, "--backup-arn", arn, "--target-table", other)
    assert code == 2 and "already exists" in err


def test_an_unknown_key_is_a_clear_error(moto, ddb):
    source = make_table(ddb, items=1)
    arn = backup(ddb, source)
    target = target_name()

    code, _, err = restore(moto, "--source-table", source, "--backup-arn", arn,
                           "--target-table", target, "--kms-key", "alias/no-such-key")

    assert code == 2 and err.startswith("restore_table: KMS key alias/no-such-key:")
    assert target not in ddb.list_tables()["TableNames"]


def test_point_in_time_outside_the_window_or_without_pitr_is_a_clear_error(moto, ddb):
    with_pitr = make_table(ddb, items=1, pitr=True)
    without = make_table(ddb, items=1)

    code, _, err = restore(moto, "--source-table", with_pitr, "--point-in-time", "2000-01-01T00:00:00Z")
    assert code == 2 and "before the earliest restorable time" in err and "restorable window" in err
    code, _, err = restore(moto, "--source-table", with_pitr, "--point-in-time", "2999-01-01T00:00:00Z")
    assert code == 2 and "is in the future" in err
    code, _, err = restore(moto, "--source-table", with_pitr, "--point-in-time", "yesterday")
    assert code == 2 and "ISO 8601" in err
    code, _, err = restore(moto, "--source-table", without, "--point-in-time", "latest")
    assert code == 2 and "point-in-time recovery is not enabled" in err
    code, _, err = restore(moto, "--source-table", "no-such-table", "--point-in-time", "latest")
    assert code == 2 and err.strip() == "restore_table: source table no-such-table not found in this region"


def test_point_in_time_restore_as_moto_performs_it(moto, ddb):
    """moto copies the source as it is now, whatever the time: this checks the
    script's side (request, wait, protections, verification), not the time."""
    source = make_table(ddb, items=25, pitr=True)
    earliest = ddb.describe_continuous_backups(TableName=source)["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"]
    ddb.put_item(TableName=source, Item={"PK": {"S": "TENANT#0"}, "SK": {"S": "AFTER"}})
    when = earliest.isoformat()

    for point in ("latest", when):
        code, summary, err = restore(moto, "--source-table", source, "--point-in-time", point,
                                     "--target-table", target_name())
        assert code == 0, err
        assert summary["restore"]["kind"] == "point-in-time"
        assert summary["match"] is True
        # 26, not 25: the item written after `when` is restored too (moto ignores the time).
        assert summary["items"]["restored"] == 26
        assert summary["re_enabled"] == {"point_in_time_recovery": "ENABLED", "deletion_protection": True}
