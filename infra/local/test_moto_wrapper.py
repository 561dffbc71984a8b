"""The local AWS stand-in (moto_serial.py with moto_patches.py) keeps
DynamoDB's transaction and query semantics, stays small and fast as data grows,
bounds its streams, and lists sent mail cheaply.

Run: .venv/bin/python -m pytest infra/local/test_moto_wrapper.py
(`make test` runs it through tests/moto_wrapper.rs.) BOOKWARDEN_MOTO_WRAPPER
names another wrapper script to run the same tests against.
"""

import email.message
import itertools
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

HERE = Path(__file__).resolve().parent
WRAPPER = os.environ.get("BOOKWARDEN_MOTO_WRAPPER", str(HERE / "moto_serial.py"))


class Moto:
    """A wrapper process on a free port; gone when its stdin closes."""

    def __init__(self, **env):
        self.process = subprocess.Popen(
            [sys.executable, WRAPPER, "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, **env},
        )
        line = self.process.stdout.readline().decode()
        assert line.startswith("listening "), f"wrapper did not start: {line!r}"
        self.endpoint = f"http://127.0.0.1:{line.split()[1]}"

    def client(self, service):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}),
        )

    def rss_mib(self):
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def cpu_seconds(self):
        """CPU time the wrapper has used: its cost, whatever else the machine runs."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def moto():
    server = Moto()
    yield server
    server.stop()


@pytest.fixture
def fresh_moto():
    server = Moto()
    yield server
    server.stop()


_tables = itertools.count()


def create_table(ddb, stream=None, sort_key_type="S"):
    """A table keyed like the product's (string PK and SK, TTL on expires_at)."""
    name = f"t{next(_tables)}"
    extra = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": stream}} if stream else {}
    ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": sort_key_type},
        ],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        **extra,
    )
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    return name


def key(pk, sk):
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def scan(ddb, table):
    items, start = [], {}
    while True:
        page = ddb.scan(TableName=table, ConsistentRead=True, **start)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def put_all(ddb, table, items):
    for chunk in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[chunk : chunk + 25]]
        ddb.batch_write_item(RequestItems={table: requests})


def put(table, pk, sk, condition=None, **attrs):
    op = {"TableName": table, "Item": {**key(pk, sk), **attrs}}
    if condition:
        op["ConditionExpression"] = condition
    return {"Put": op}


# --- Transactions ------------------------------------------------------------


def seed(ddb, table):
    for sk in ("A", "B", "C"):
        ddb.put_item(TableName=table, Item={**key("P", sk), "v": {"N": "1"}, "tags": {"SS": ["x"]}})


def writes_of_every_kind(table):
    return [
        put(table, "P", "A", v={"N": "2"}),
        {
            "Update": {
                "TableName": table,
                "Key": key("P", "B"),
                "UpdateExpression": "SET v = v + :one ADD tags :t",
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":t": {"SS": ["y"]}},
            }
        },
        {"Delete": {"TableName": table, "Key": key("P", "C")}},
        put(table, "P", "D", condition="attribute_not_exists(PK)", v={"N": "1"}),
    ]


def test_failed_transaction_leaves_every_touched_item_as_before(moto):
    ddb = moto.client("dynamodb")
    table = create_table(ddb)
    seed(ddb, table)
    before = scan(ddb, table)
    writes = writes_of_every_kind(table)
    failing_check = {
        "ConditionCheck": {
            "TableName": table,
            "Key": key("P", "E"),
            "ConditionExpression": "attribute_exists(PK)",
        }
    }
    # The failing check sits between writes: those before and after it are undone.
    items = writes[:2] + [failing_check] + writes[2:] + [put(table, "Q", "new", v={"N": "9"})]

    with pytest.raises(ddb.exceptions.TransactionCanceledException) as failure:
        ddb.transact_write_items(TransactItems=items)

    codes = [r["Code"] for r in failure.value.response["CancellationReasons"]]
    assert codes == ["None", "None", "ConditionalCheckFailed", "None", "None", "None"]
    assert scan(ddb, table) == before
    assert "Item" not in ddb.get_item(TableName=table, Key=key("P", "D"))
    assert "Item" not in ddb.get_item(TableName=table, Key=key("Q", "new"))


def test_successful_transaction_applies_every_write(moto):
    ddb = moto.client("dynamodb")
    table = create_table(ddb)
    seed(ddb, table)

    ddb.transact_write_items(TransactItems=writes_of_every_kind(table))

    after = {i["SK"]["S"]: i for i in scan(ddb, table)}
    assert sorted(after) == ["A", "B", "D"]
    assert after["A"]["v"] == {"N": "2"}
    assert after["B"]["v"] == {"N": "2"} and sorted(after["B"]["tags"]["SS"]) == ["x", "y"]
    assert after["D"]["v"] == {"N": "1"}


def test_cancellation_reports_the_old_item_when_asked(moto):
    ddb = moto.client("dynamodb")
    table = create_table(ddb)
    seed(ddb, table)
    taken = put(table, "P", "A", condition="attribute_not_exists(PK)", v={"N": "5"})
    taken["Put"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"

    with pytest.raises(ddb.exceptions.TransactionCanceledException) as failure:
        ddb.transact_write_items(TransactItems=[put(table, "P", "Z", v={"N": "1"}), taken])

    reasons = failure.value.response["CancellationReasons"]
    assert reasons[0]["Code"] == "None"
    assert reasons[1]["Code"] == "ConditionalCheckFailed"
    assert reasons[1]["Item"]["v"] == {"N": "1"}
    assert "Item" not in ddb.get_item(TableName=table, Key=key("P", "Z"))


def test_two_writes_to_one_item_are_refused_and_nothing_is_written(moto):
    ddb = moto.client("dynamodb")
    table = create_table(ddb)

    with pytest.raises(ddb.exceptions.ClientError) as failure:
        ddb.transact_write_items(
            TransactItems=[put(table, "P", "X", v={"N": "1"}), put(table, "P", "X", v={"N": "2"})]
        )

    assert failure.value.response["Error"]["Code"] == "ValidationException"
    assert scan(ddb, table) == []


# --- Queries -----------------------------------------------------------------


def query_all(ddb, table, **kwargs):
    """Every page of a query, and how many pages it took."""
    items, pages, start = [], 0, {}
    while True:
        page = ddb.query(TableName=table, **kwargs, **start)
        items += page["Items"]
        pages += 1
        if "LastEvaluatedKey" not in page:
            return items, pages
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def condition(expression, **values):
    return {
        "KeyConditionExpression": expression,
        "ExpressionAttributeValues": {f":{k}": {"S": v} for k, v in values.items()},
    }


def test_queries_return_exactly_the_items_of_their_key_range(moto):
    ddb = moto.client("dynamodb")
    table = create_table(ddb)
    sort_keys = {f"{n:04d}" for n in range(0, 300, 3)} | {f"A#{n}" for n in range(20)} | {"B", "B#1"}
    for pk in ("P", "Q"):
        put_all(ddb, table, [{**key(pk, sk), "p": {"S": pk}} for sk in sorted(sort_keys)])
    # Changes the index must follow: deletes, overwrites, a failed transaction.
    for sk in ("0030", "A#5"):
        ddb.delete_item(TableName=table, Key=key("P", sk))
        sort_keys.discard(sk)
    ddb.put_item(TableName=table, Item={**key("P", "0033"), "p": {"S": "P"}, "new": {"S": "yes"}})
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": table, "Key": key("P", "0036")}},
                put(table, "P", "0037", p={"S": "P"}),
                put(table, "P", "0033", condition="attribute_not_exists(PK)", p={"S": "P"}),
            ]
        )

    cases = [
        ("PK = :p", {}, lambda sk: True),
        ("PK = :p AND SK = :a", {"a": "0042"}, lambda sk: sk == "0042"),
        ("PK = :p AND SK < :a", {"a": "0100"}, lambda sk: sk < "0100"),
        ("PK = :p AND SK <= :a", {"a": "0102"}, lambda sk: sk <= "0102"),
        ("PK = :p AND SK > :a", {"a": "0250"}, lambda sk: sk > "0250"),
        ("PK = :p AND SK >= :a", {"a": "0252"}, lambda sk: sk >= "0252"),
        ("PK = :p AND SK BETWEEN :a AND :b", {"a": "0031", "b": "0060"}, lambda sk: "0031" <= sk <= "0060"),
        ("PK = :p AND begins_with(SK, :a)", {"a": "A#1"}, lambda sk: sk.startswith("A#1")),
        ("PK = :p AND begins_with(SK, :a)", {"a": "B"}, lambda sk: sk.startswith("B")),
        ("PK = :p AND SK BETWEEN :a AND :b", {"a": "0100", "b": "0031"}, lambda sk: False),
    ]
    for expression, values, wanted in cases:
        expected = sorted(sk for sk in sort_keys if wanted(sk))
        for forward in (True, False):
            for limit in (None, 1, 7):
                extra = {"Limit": limit} if limit else {}
                items, pages = query_all(
                    ddb, table, ScanIndexForward=forward, **condition(expression, p="P", **values), **extra
                )
                got = [i["SK"]["S"] for i in items]
                case = f"{expression} {values} forward={forward} limit={limit}"
                assert got == (expected if forward else expected[::-1]), case
                assert all(i["p"] == {"S": "P"} for i in items), case
                if limit:
                    assert pages >= -(-len(expected) // limit), case
    changed = ddb.query(TableName=table, **condition("PK = :p AND SK = :a", p="P", a="0033"))["Items"]
    assert changed[0]["new"] == {"S": "yes"}


def create_indexed_table(ddb):
    """A table with a sparse global secondary index like the product's
    Timeline index (string GPK and GSK, only some attributes projected)."""
    name = f"t{next(_tables)}"
    ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": a, "AttributeType": "S"} for a in ("PK", "SK", "GPK", "GSK")
        ],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "Gix",
                "KeySchema": [
                    {"AttributeName": "GPK", "KeyType": "HASH"},
                    {"AttributeName": "GSK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["shown"]},
            }
        ],
    )
    return name


def indexed(pk, sk, gpk, gsk, **attrs):
    return {**key(pk, sk), "GPK": {"S": gpk}, "GSK": {"S": gsk}, "shown": {"S": f"{pk}/{sk}"},
            "hidden": {"S": "x"}, **attrs}


def test_index_queries_follow_every_kind_of_write(moto):
    ddb = moto.client("dynamodb")
    table = create_indexed_table(ddb)
    # What the index should hold: (PK, SK) -> (GPK, GSK). Equal index sort
    # keys on purpose: pages must break ties by the table's key, as DynamoDB does.
    model = {}
    items = []
    for n in range(120):
        pk, sk = f"P{n % 3}", f"{n:04d}"
        gpk, gsk = ("I" if n % 4 else "J"), f"{(n * 7) % 50:03d}"
        items.append(indexed(pk, sk, gpk, gsk))
        model[(pk, sk)] = (gpk, gsk)
    # The first index query files every item already there.
    put_all(ddb, table, items[:60])
    ddb.query(TableName=table, IndexName="Gix", **condition("GPK = :p", p="I"))
    put_all(ddb, table, items[60:])
    items.append({**key("P0", "none"), "shown": {"S": "P0/none"}})
    ddb.put_item(TableName=table, Item=items[-1])

    def update(pk, sk, expression, **values):
        return {
            "TableName": table,
            "Key": key(pk, sk),
            "UpdateExpression": expression,
            "ExpressionAttributeValues": {f":{k}": {"S": v} for k, v in values.items()},
        }

    # In-place updates move items within the index, out of it and into it.
    ddb.update_item(**update("P0", "0003", "SET GSK = :s", s="007"))
    model[("P0", "0003")] = ("I", "007")
    ddb.update_item(**update("P1", "0004", "SET GPK = :p, GSK = :s", p="I", s="000"))
    model[("P1", "0004")] = ("I", "000")
    ddb.update_item(TableName=table, Key=key("P2", "0005"), UpdateExpression="REMOVE GSK")
    del model[("P2", "0005")]
    ddb.update_item(**update("P0", "none", "SET GPK = :p, GSK = :s", p="I", s="025"))
    model[("P0", "none")] = ("I", "025")
    # An overwrite without the index keys leaves the index; a delete too.
    ddb.put_item(TableName=table, Item=key("P0", "0006"))
    del model[("P0", "0006")]
    ddb.delete_item(TableName=table, Key=key("P1", "0007"))
    del model[("P1", "0007")]
    # A transaction's update counts; a failed one's does not.
    ddb.transact_write_items(TransactItems=[{"Update": update("P2", "0008", "SET GSK = :s", s="049")}])
    model[("P2", "0008")] = ("J", "049")
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {"Update": update("P0", "0009", "SET GSK = :s", s="001")},
                {"Delete": {"TableName": table, "Key": key("P1", "0010")}},
                put(table, "P1", "0001", condition="attribute_not_exists(PK)"),
            ]
        )
    # An update that fails its condition changes nothing.
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.update_item(**update("P2", "0011", "SET GSK = :s", s="002"), ConditionExpression="attribute_not_exists(PK)")

    cases = [
        ("GPK = :p", {}, lambda s: True),
        ("GPK = :p AND GSK = :a", {"a": "007"}, lambda s: s == "007"),
        ("GPK = :p AND GSK < :a", {"a": "007"}, lambda s: s < "007"),
        ("GPK = :p AND GSK <= :a", {"a": "007"}, lambda s: s <= "007"),
        ("GPK = :p AND GSK > :a", {"a": "042"}, lambda s: s > "042"),
        ("GPK = :p AND GSK >= :a", {"a": "042"}, lambda s: s >= "042"),
        ("GPK = :p AND GSK BETWEEN :a AND :b", {"a": "010", "b": "021"}, lambda s: "010" <= s <= "021"),
        ("GPK = :p AND begins_with(GSK, :a)", {"a": "02"}, lambda s: s.startswith("02")),
    ]
    for gpk in ("I", "J", "absent"):
        for expression, values, wanted in cases:
            expected = sorted(
                (gsk, pk, sk) for (pk, sk), (g, gsk) in model.items() if g == gpk and wanted(gsk)
            )
            for forward in (True, False):
                for limit in (None, 1, 4):
                    extra = {"Limit": limit} if limit else {}
                    got, _ = query_all(
                        ddb, table, IndexName="Gix", ScanIndexForward=forward,
                        **condition(expression, p=gpk, **values), **extra,
                    )
                    case = f"{gpk} {expression} {values} forward={forward} limit={limit}"
                    assert [(i["GSK"]["S"], i["PK"]["S"], i["SK"]["S"]) for i in got] == (
                        expected if forward else expected[::-1]
                    ), case
                    assert all(i["shown"]["S"] == f"{i['PK']['S']}/{i['SK']['S']}" for i in got), case
                    assert all("hidden" not in i for i in got), case


def test_queries_order_number_sort_keys_by_value(moto):
    ddb = moto.client("dynamodb")
    table = create_table(ddb, sort_key_type="N")
    for n in range(1, 31):
        ddb.put_item(TableName=table, Item={"PK": {"S": "P"}, "SK": {"N": str(n)}})

    items = ddb.query(
        TableName=table,
        KeyConditionExpression="PK = :p AND SK BETWEEN :a AND :b",
        ExpressionAttributeValues={":p": {"S": "P"}, ":a": {"N": "5"}, ":b": {"N": "12"}},
    )["Items"]

    assert [int(i["SK"]["N"]) for i in items] == list(range(5, 13))


EVERY_TYPE = {
    "s": {"S": "text é"},
    "n": {"N": "-12.50"},
    "b": {"B": b"\x00\xffbytes"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "bool": {"BOOL": False},
    "null": {"NULL": True},
    "m": {"M": {"inner": {"B": b"\x03"}, "list": {"L": [{"S": "x"}, {"N": "1"}, {"M": {}}]}}},
    "l": {"L": [{"B": b"\x04"}, {"BOOL": True}, {"L": []}]},
}


def normalised(item):
    """Sets compare as sets (DynamoDB does not keep their order)."""
    return {
        name: {kind: sorted(v) if kind in ("SS", "NS", "BS") else v for kind, v in value.items()}
        for name, value in item.items()
    }


def test_items_come_back_exactly_as_stored(moto):
    ddb = moto.client("dynamodb")
    table = create_table(ddb)
    stored = {**key("P", "all"), **EVERY_TYPE}
    ddb.put_item(TableName=table, Item=stored)

    got = ddb.get_item(TableName=table, Key=key("P", "all"))["Item"]
    queried = ddb.query(TableName=table, **condition("PK = :p", p="P"))["Items"]
    taken = put(table, "P", "all", condition="attribute_not_exists(PK)")
    taken["Put"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as failure:
        ddb.transact_write_items(TransactItems=[taken])

    assert normalised(got) == normalised(stored)
    assert [normalised(i) for i in queried] == [normalised(stored)]
    assert normalised(failure.value.response["CancellationReasons"][0]["Item"]) == normalised(stored)


# --- Scale -------------------------------------------------------------------


def booking_like_transaction(table, n):
    """What a booking writes: the booking (on the timeline index), its index
    entry, its idempotency answer, a manage pointer and 15 five-minute claims,
    all conditional."""
    claims = [
        put(table, "T#1#CLAIM#u1", f"{n * 15 + u:012d}", condition="attribute_not_exists(PK)",
            booking_id={"S": f"b{n}"}, expires_at={"N": "4102444800"})
        for u in range(15)
    ]
    return [
        put(table, "T#1", f"BOOKING#b{n}", condition="attribute_not_exists(PK)",
            customer_name={"B": b"sealed name" * 8}, customer_email={"B": b"sealed email" * 8},
            start={"N": str(n * 4500)}, end={"N": str(n * 4500 + 3600)}, status={"S": "confirmed"},
            GPK={"S": "T#1#TIMELINE"}, GSK={"S": f"{n * 4500:012d}#B#b{n}"}, shown={"S": "x"}),
        put(table, "T#1#BKSTART", f"{n * 4500:012d}#b{n}", condition="attribute_not_exists(PK)",
            booking_id={"S": f"b{n}"}),
        put(table, "T#1", f"IDEM#k{n}", response={"S": "{}" * 40}, expires_at={"N": "4102444800"}),
        put(table, f"MBK#{n}", "MBK", condition="attribute_not_exists(PK)", item={"S": f"b{n}"}),
        *claims,
    ]


def test_memory_and_cost_stay_flat_as_bookings_grow_the_table(fresh_moto):
    ddb = fresh_moto.client("dynamodb")
    table = create_indexed_table(ddb)
    bookings, warm_up, window, growth_limit_mib = 300, 20, 50, 150
    cpu, baseline = {}, None
    for n in range(bookings):
        if n in (warm_up, warm_up + window, bookings - window):
            cpu[n] = fresh_moto.cpu_seconds()
        # A booking reads the timeline and the claims around the slot, then writes.
        low, high = f"{n * 15 - 20:012d}", f"{n * 15 + 20:012d}"
        around = condition("PK = :p AND SK BETWEEN :a AND :b", p="T#1#CLAIM#u1", a=low, b=high)
        ddb.query(TableName=table, **around)
        day = condition("GPK = :p AND GSK BETWEEN :a AND :b", p="T#1#TIMELINE",
                        a=f"{n * 4500 - 86400:012d}", b=f"{n * 4500 + 86400:012d}")
        assert len(ddb.query(TableName=table, IndexName="Gix", **day)["Items"]) == min(n, 19)
        ddb.transact_write_items(TransactItems=booking_like_transaction(table, n))
        if n == warm_up:
            baseline = fresh_moto.rss_mib()
        elif baseline is not None and n % 10 == 0:
            growth = fresh_moto.rss_mib() - baseline
            assert growth < growth_limit_mib, f"moto grew by {growth:.0f} MiB after {n} bookings"

    first = cpu[warm_up + window] - cpu[warm_up]
    last = fresh_moto.cpu_seconds() - cpu[bookings - window]
    assert last < 2 * first, f"moto's CPU time for {window} bookings: {first:.2f} s, then {last:.2f} s"


def test_repeated_reads_do_not_accumulate_memory(fresh_moto):
    ddb = fresh_moto.client("dynamodb")
    table = create_table(ddb)
    attrs = {f"a{i}": {"S": f"value {i}"} for i in range(8)}
    put_all(ddb, table, [{**key("P", f"{n:04d}"), **attrs} for n in range(250)])
    # Counting reads every item (moto copies each one) and returns little.
    count = condition("PK = :p", p="P") | {"Select": "COUNT"}
    for _ in range(10):
        ddb.query(TableName=table, **count)
    baseline = fresh_moto.rss_mib()

    for _ in range(400):
        assert ddb.query(TableName=table, **count)["Count"] == 250

    growth = fresh_moto.rss_mib() - baseline
    assert growth < 40, f"moto grew by {growth:.0f} MiB over 400 reads of the same 250 items"


# --- Streams -----------------------------------------------------------------


def test_streams_keep_the_latest_records_up_to_the_cap():
    server = Moto(BOOKWARDEN_STREAM_MAX_RECORDS="25")
    try:
        ddb, streams = server.client("dynamodb"), server.client("dynamodbstreams")
        table = create_table(ddb, stream="NEW_AND_OLD_IMAGES")
        arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]

        def iterator(kind, **extra):
            return streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind, **extra)[
                "ShardIterator"
            ]

        ddb.put_item(TableName=table, Item=key("P", "0000"))
        first = streams.get_records(ShardIterator=iterator("TRIM_HORIZON"))["Records"][0]
        for n in range(1, 60):
            ddb.put_item(TableName=table, Item=key("P", f"{n:04d}"))
        at_first = iterator("AT_SEQUENCE_NUMBER", SequenceNumber=first["dynamodb"]["SequenceNumber"])
        with pytest.raises(streams.exceptions.ClientError) as trimmed:
            streams.get_records(ShardIterator=at_first)
        assert trimmed.value.response["Error"]["Code"] == "TrimmedDataAccessException"

        latest = iterator("LATEST")
        with pytest.raises(ddb.exceptions.TransactionCanceledException):
            taken = put(table, "P", "0001", condition="attribute_not_exists(PK)")
            ddb.transact_write_items(TransactItems=[put(table, "P", "new"), taken])
        ddb.put_item(TableName=table, Item={**key("P", "last"), **EVERY_TYPE})

        records = streams.get_records(ShardIterator=iterator("TRIM_HORIZON"))["Records"]
        keys = [r["dynamodb"]["Keys"]["SK"]["S"] for r in records]
        assert keys == [f"{n:04d}" for n in range(36, 60)] + ["last"]
        numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
        since_latest = streams.get_records(ShardIterator=latest)["Records"]
        assert [r["dynamodb"]["Keys"]["SK"]["S"] for r in since_latest] == ["last"]
        image = since_latest[0]["dynamodb"]["NewImage"]
        assert normalised(image) == normalised({**key("P", "last"), **EVERY_TYPE})
    finally:
        server.stop()


# --- Sent mail ---------------------------------------------------------------


def send_mails(server, count):
    ses = server.client("sesv2")
    ses.create_email_identity(EmailIdentity="mail.bookwarden.test")
    for n in range(count):
        message = email.message.EmailMessage()
        message["From"] = "no-reply@mail.bookwarden.test"
        message["To"] = f"customer{n}@example.org"
        message["Subject"] = f"Message {n}"
        message.set_content(f"Hello number {n}: https://app.bookwarden.test/#token=t{n}")
        ses.send_email(
            FromEmailAddress="no-reply@mail.bookwarden.test",
            Destination={"ToAddresses": [f"customer{n}@example.org"]},
            Content={"Raw": {"Data": message.as_bytes()}},
        )


def sent_mail(server, query=""):
    with urllib.request.urlopen(f"{server.endpoint}/bookwarden/sent-mail{query}") as response:
        return json.load(response)


def show_mail(*args, **env):
    return subprocess.run(
        [sys.executable, str(HERE / "show_mail.py"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    ).stdout


def subjects(output):
    return [line.removeprefix("Subject: ") for line in output.splitlines() if line.startswith("Subject: ")]


def test_sent_mail_lists_the_latest_messages_first(fresh_moto):
    assert sent_mail(fresh_moto) == {"total": 0, "messages": []}
    send_mails(fresh_moto, 15)

    latest = sent_mail(fresh_moto)
    assert latest["total"] == 15
    newest_first = [f"Message {n}" for n in range(14, 4, -1)]
    assert [subject for m in latest["messages"] for subject in subjects(m["raw_data"])] == newest_first
    assert len(sent_mail(fresh_moto, "?limit=all")["messages"]) == 15
    assert sent_mail(fresh_moto, "?limit=0")["messages"] == []
    with pytest.raises(urllib.error.HTTPError) as refused:
        sent_mail(fresh_moto, "?limit=-1")
    assert refused.value.code == 400


def test_make_mail_shows_the_latest_ten_newest_first_or_every_one(fresh_moto):
    assert show_mail(fresh_moto.endpoint).strip() == "No mail sent yet."
    send_mails(fresh_moto, 12)

    default = show_mail(fresh_moto.endpoint)
    assert default.splitlines()[0] == "The latest 10 of 12 messages, newest first (--all for every one)."
    assert subjects(default) == [f"Message {n}" for n in range(11, 1, -1)]
    assert "https://app.bookwarden.test/#token=t11" in default
    assert subjects(show_mail("--all", fresh_moto.endpoint)) == [f"Message {n}" for n in range(11, -1, -1)]
    assert subjects(show_mail("-n", "2", fresh_moto.endpoint)) == ["Message 11", "Message 10"]
    port = fresh_moto.endpoint.rsplit(":", 1)[1]
    assert subjects(show_mail("-n", "1", MOTO_PORT=port)) == ["Message 11"]
