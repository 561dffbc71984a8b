"""Keeps moto (pinned in infra/requirements.txt) fast and small as data grows.

Installed by moto_serial.py before it serves anything. Every patch relies on
that wrapper's lock: one request at a time is inside moto.

What moto 5.2 does on its own, and what each patch changes:

- Every model object it creates (each DynamoDB item, each table, each stream
  record, including every copy of one) is appended to a class-level list for
  the /moto-api/ dashboard and never removed, so none is ever freed
  (moto/core/common_models.py, BaseModel.__new__).
  -> The list holds its objects weakly: it still lists everything alive.
- TransactWriteItems deep-copies each table it writes to, once per item of the
  transaction, to restore them on failure (moto/dynamodb/models/__init__.py,
  DynamoDBBackend.transact_write_items). With the leak above, every copy stayed.
  -> Only the items the transaction names are copied, and restored on failure.
- Query looks at, and sorts, every item of the table, whatever the key
  condition (moto/dynamodb/models/table.py, Table.query through all_items);
  on a global secondary index too.
  -> Query sees only the items of the partition in the key condition's range,
     found in a sorted index of that partition's sort keys; on a global
     secondary index, in a sorted map of the index's keys to the items'.
- A table stream keeps every record until a Lambda consumes them
  (table.py, StreamShard.add), and every shard iterator ever handed out.
  -> Records older than 24 hours (as in AWS) or beyond a cap
     (BOOKWARDEN_STREAM_MAX_RECORDS, default 50,000: about 150 MB) are dropped,
     and shard iterators expire after 15 minutes (as in AWS).
- Responses are written by a serializer that walks the service model for every
  attribute of every item returned (moto/core/serialize.py; about 2 ms an item).
  -> DynamoDB attribute values, already in wire form, are written as they are.
"""

import copy
import functools
import inspect
import itertools
import os
import time
import weakref
from datetime import timedelta

from sortedcontainers import SortedKeyList, SortedList

from moto.core.common_models import BaseModel
from moto.core.exceptions import JsonRESTError
from moto.core.serialize import BaseJSONSerializer
from moto.core.utils import utcnow
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import StreamShard, Table
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator

STREAM_RETENTION = timedelta(hours=24)
STREAM_MAX_RECORDS = int(os.environ.get("BOOKWARDEN_STREAM_MAX_RECORDS", "50000"))
SHARD_ITERATOR_LIFETIME_SECS = 15 * 60


def install():
    """Applies every patch. Call once, before moto serves a request."""
    track_instances_weakly()
    snapshot_only_touched_items()
    query_one_partition()
    query_one_index_partition()
    bound_streams()
    write_attribute_values_directly()


# --- Instance tracking -------------------------------------------------------


class _Ref(weakref.ref):
    __slots__ = ("number",)


class WeakInstances:
    """The live instances of one model class, oldest first: what moto's
    `instances_tracked` list shows, without keeping anything alive."""

    def __init__(self, existing=()):
        self._refs = {}
        self._numbers = itertools.count()
        for instance in existing:
            self.append(instance)

    def append(self, instance):
        number = next(self._numbers)
        try:
            ref = _Ref(instance, self._forget)
        except TypeError:  # not weakly referenceable: keep it, as moto does
            self._refs[number] = lambda: instance
            return
        ref.number = number
        self._refs[number] = ref

    def _forget(self, ref):
        self._refs.pop(ref.number, None)

    def __iter__(self):
        while True:
            try:
                refs = list(self._refs.values())
                break
            except RuntimeError:  # an instance died while copying: copy again
                continue
        for ref in refs:
            instance = ref()
            if instance is not None:
                yield instance


def track_instances_weakly():
    def __new__(cls, *args, **kwargs):
        instance = super(BaseModel, cls).__new__(cls)
        tracked = cls.instances_tracked
        if not isinstance(tracked, WeakInstances):
            # First instance since start-up or since /moto-api/reset.
            tracked = cls.instances_tracked = WeakInstances(tracked)
        tracked.append(instance)
        return instance

    BaseModel.__new__ = staticmethod(__new__)


# --- Transactions ------------------------------------------------------------


class _CopyKeepingTables:
    """The `copy` module as moto.dynamodb.models sees it: a deep copy of a whole
    table is the table itself. The only such copy there is the rollback
    snapshot in transact_write_items, which `_Journal` replaces: moto's own
    rollback then puts back the very table it already holds."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


class _Journal:
    """The state before a transaction of every item it names, and of each
    written table's stream, to put back if the transaction fails."""

    def __init__(self, backend, transact_items):
        self.items = {}  # (table name, hash, range) -> (table, hash, range, item or None)
        self.streams = {}  # table name -> (shard, next sequence number)
        for entry in transact_items:
            try:
                ((op_type, op),) = entry.items()
                table = backend.get_table(op["TableName"])
                if op_type == "Put":
                    key = {a: op["Item"][a] for a in table.table_key_attrs}
                else:
                    key = op["Key"]
                hash_value, range_value = backend.get_keys_value(table, key)
            except Exception:
                # moto refuses this entry before it writes anything for it.
                continue
            name = (table.name, hash_value, range_value)
            if name not in self.items:
                current = _stored(table, hash_value, range_value)
                self.items[name] = (table, hash_value, range_value, copy.deepcopy(current))
            shard = table.stream_shard
            if shard is not None and table.name not in self.streams:
                self.streams[table.name] = (shard, shard.starting_sequence_number + len(shard.items))

    def restore(self):
        for table, hash_value, range_value, item in self.items.values():
            _store(table, hash_value, range_value, item)
        # A failed transaction leaves no stream records.
        for shard, next_sequence in self.streams.values():
            keep = next_sequence - shard.starting_sequence_number
            if 0 <= keep < len(shard.items):
                del shard.items[keep:]


def _stored(table, hash_value, range_value):
    """The item at a key, or None; never creates an empty partition."""
    if table.range_key_attr is None:
        return table.items.get(hash_value)
    return table.items.get(hash_value, {}).get(range_value)


def _store(table, hash_value, range_value, item):
    """Puts `item` (None: nothing) at a key, bypassing conditions and streams."""
    if table.range_key_attr is None:
        if item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item
        return
    partition = table.items[hash_value]
    if item is None:
        partition.pop(range_value, None)
        if not partition:
            del table.items[hash_value]
    else:
        partition[range_value] = item
    _sync_sort_key(table, hash_value, range_value)
    _sync_index_keys(table, hash_value, range_value)


def snapshot_only_touched_items():
    dynamodb_models.copy = _CopyKeepingTables()
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        journal = _Journal(self, transact_items)
        try:
            return original(self, transact_items)
        except BaseException:
            journal.restore()
            raise

    DynamoDBBackend.transact_write_items = transact_write_items


# --- Query -------------------------------------------------------------------

# Per table, per partition (hash key): the partition dict it indexes and its
# sort keys in moto's order (DynamoType.cast_value). Built on a partition's
# first query, then kept in step by Table.put_item, Table.delete_item and
# `_store`, the only code that adds or removes items of a partition.
_sort_keys = weakref.WeakKeyDictionary()


def _cast(range_value):
    return range_value.cast_value


def _partition_sort_keys(table, hash_value):
    partition = table.items.get(hash_value)
    if partition is None:
        return None
    indexes = _sort_keys.setdefault(table, {})
    entry = indexes.get(hash_value)
    # A partition replaced or changed by other means (a restored backup) is indexed afresh.
    if entry is None or entry[0] is not partition or len(entry[1]) != len(partition):
        entry = (partition, SortedKeyList(partition.keys(), key=_cast))
        indexes[hash_value] = entry
    return entry[1]


def _sync_sort_key(table, hash_value, range_value):
    entry = _sort_keys.get(table, {}).get(hash_value)
    if entry is None:
        return
    partition, keys = entry
    if table.items.get(hash_value) is not partition:
        del _sort_keys[table][hash_value]
        return
    present = range_value in partition
    if present and range_value not in keys:
        keys.add(range_value)
    elif not present and range_value in keys:
        keys.remove(range_value)


# Key condition operators (KeyConditionExpression and legacy KeyConditions) ->
# which of their values bound the range from below and from above.
_BOUNDS = {
    "=": (0, 0), "EQ": (0, 0),
    "<": (None, 0), "LT": (None, 0), "<=": (None, 0), "LE": (None, 0),
    ">": (0, None), "GT": (0, None), ">=": (0, None), "GE": (0, None),
    "BETWEEN": (0, 1),
}


def _prefix_end(prefix):
    """A string above every string that starts with `prefix`, or None."""
    if not prefix or ord(prefix[-1]) >= 0x10FFFF:
        return None
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _from_start(low, high, start, forward):
    """Bounds (inclusive; None: open) narrowed to begin at a page's start key."""
    if forward:
        return (start if low is None else max(low, start)), high
    return low, (start if high is None else min(high, start))


def _candidates(table, hash_value, comparison, range_objs, start_key, forward, limit):
    """The partition's items moto's query would look at, in key order: a
    superset of the matching ones (bounds are inclusive; moto applies the exact
    condition, the start key and the limit to them)."""
    if table.range_key_attr is None:
        item = table.items.get(hash_value)
        return [] if item is None else [item]
    keys = _partition_sort_keys(table, hash_value)
    if keys is None:
        return []
    partition = table.items[hash_value]
    low = high = None
    if comparison in _BOUNDS:
        below, above = _BOUNDS[comparison]
        low = None if below is None else range_objs[below].cast_value
        high = None if above is None else range_objs[above].cast_value
    elif comparison == "BEGINS_WITH" and isinstance(range_objs[0].cast_value, str):
        low = range_objs[0].cast_value
        high = _prefix_end(low)
    elif comparison is not None:
        return list(partition.values())
    if (
        start_key
        and table.range_key_attr in start_key
        and DynamoType(start_key.get(table.hash_key_attr, {"NULL": True})) == hash_value
    ):
        start = DynamoType(start_key[table.range_key_attr]).cast_value
        low, high = _from_start(low, high, start, forward)
    found = keys.irange_key(low, high, reverse=not forward)
    if limit:
        # At most two keys in the bounds do not count towards the limit (the
        # start key, an excluded bound); one more tells moto a page follows.
        found = itertools.islice(found, limit + 3)
    return [partition[k] for k in found]


def _query_over(table, items, original, args, kwargs):
    """moto's own query, looking only at `items`: it filters and sorts
    `table.all_items()`, which for this call is them. Safe: no other request
    runs meanwhile (moto_serial.py's lock)."""
    table.all_items = lambda: items
    try:
        return original(table, *args, **kwargs)
    finally:
        del table.all_items


def query_one_partition():
    original = Table.query
    signature = inspect.signature(original)

    @functools.wraps(original)
    def query(self, *args, **kwargs):
        call = signature.bind(self, *args, **kwargs)
        call.apply_defaults()
        a = call.arguments
        if a["index_name"] or a["hash_key"] is None or a["filter_kwargs"]:
            return original(self, *args, **kwargs)
        try:
            items = _candidates(
                self,
                a["hash_key"],
                a["range_comparison"],
                a["range_objs"],
                a["exclusive_start_key"],
                a["scan_index_forward"] is not False,
                a["limit"],
            )
        except TypeError:  # a condition value of another type than the key
            return original(self, *args, **kwargs)
        return _query_over(self, items, original, args, kwargs)

    Table.query = query

    original_put = Table.put_item
    original_delete = Table.delete_item

    def put_item(self, *args, **kwargs):
        item = original_put(self, *args, **kwargs)
        if self.range_key_attr is not None:
            _sync_sort_key(self, item.hash_key, item.range_key)
        _sync_index_keys(self, item.hash_key, item.range_key)
        return item

    def delete_item(self, hash_key, range_key):
        item = original_delete(self, hash_key, range_key)
        if range_key is not None:
            _sync_sort_key(self, hash_key, range_key)
        _sync_index_keys(self, hash_key, range_key)
        return item

    Table.put_item = put_item
    Table.delete_item = delete_item


# --- Query on a global secondary index ----------------------------------------


class _Top:
    """Above every value: `(v, _TOP)` follows every key tuple starting with v."""

    __slots__ = ()

    def __eq__(self, other):
        return other is self

    def __hash__(self):
        return 0

    def __lt__(self, other):
        return False

    def __le__(self, other):
        return other is self

    def __gt__(self, other):
        return other is not self

    def __ge__(self, other):
        return True


_TOP = _Top()


class _IndexKeys:
    """One global secondary index of one table: for each index partition (its
    hash key value), the items in it, sorted the way moto sorts a query on the
    index (index sort key, then table hash key, then table sort key), as
    `(index sort, table hash, table sort, table hash key, table sort key)`."""

    def __init__(self, table, index, hash_attr, range_attr):
        self.index = index
        self.hash_attr = hash_attr
        self.range_attr = range_attr
        self.partitions = {}  # index hash value -> SortedList of entries
        self.entries = {}  # (table hash, table sort) -> (index hash value, entry)
        for item in table.all_items():
            self.sync(item.hash_key, item.range_key, item)

    def sync(self, hash_value, range_value, item):
        """Files the item now at a table key under its index key, if it has one."""
        name = (hash_value, range_value)
        old = self.entries.pop(name, None)
        if old is not None:
            partition = self.partitions[old[0]]
            partition.remove(old[1])
            if not partition:
                del self.partitions[old[0]]
        if item is None:
            return
        index_hash = item.attrs.get(self.hash_attr)
        index_range = item.attrs.get(self.range_attr)
        if not index_hash or not index_range:
            return  # not in this sparse index
        table_range = None if range_value is None else range_value.cast_value
        entry = (index_range.cast_value, hash_value.cast_value, table_range, hash_value, range_value)
        self.partitions.setdefault(index_hash, SortedList()).add(entry)
        self.entries[name] = (index_hash, entry)


# Per table: index name -> _IndexKeys. Built on an index's first query, then
# kept in step with every write (Table.put_item, Table.delete_item, `_store`,
# and DynamoDBBackend.update_item, which changes items in place).
_index_keys = weakref.WeakKeyDictionary()


def _single_key(index):
    """The index's hash and sort key attributes; None for shapes left to moto."""
    hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
    ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    if len(hashes) != 1 or len(ranges) != 1:
        return None
    return hashes[0], ranges[0]


def _index_of(table, index_name):
    index = next((i for i in table.global_indexes if i.name == index_name), None)
    if index is None:
        return None
    indexes = _index_keys.setdefault(table, {})
    keys = indexes.get(index_name)
    if keys is None or keys.index is not index:  # new, or replaced by UpdateTable
        attrs = _single_key(index)
        if attrs is None:
            return None
        keys = indexes[index_name] = _IndexKeys(table, index, *attrs)
    return keys


def _sync_index_keys(table, hash_value, range_value):
    indexes = _index_keys.get(table)
    if indexes:
        item = _stored(table, hash_value, range_value)
        for keys in indexes.values():
            keys.sync(hash_value, range_value, item)


# Key condition operators -> how each of their values bounds the entries:
# "from"/"to" include entries whose index sort key equals it, "after"/"before"
# exclude them.
_INDEX_BOUNDS = {
    "=": ("from", "to"), "EQ": ("from", "to"),
    "<": ("before",), "LT": ("before",), "<=": ("to",), "LE": ("to",),
    ">": ("after",), "GT": ("after",), ">=": ("from",), "GE": ("from",),
    "BETWEEN": ("from", "to"),
}


def _index_candidates(table, keys, index_hash, comparison, range_objs, start_key, forward, limit):
    """The index partition's items moto's query would look at, in its order:
    those in the key condition's range, from the start key on (moto applies
    the exact condition, the start key and the limit to them)."""
    partition = keys.partitions.get(index_hash)
    if partition is None:
        return []
    # Entries start with (index sort, ...): (v,) sorts before each of them
    # with index sort v, and (v, _TOP) after each.
    low = high = None
    if comparison in _INDEX_BOUNDS:
        values = [r.cast_value for r in range_objs]
        if comparison in ("=", "EQ"):
            values = values * 2
        for kind, value in zip(_INDEX_BOUNDS[comparison], values):
            if kind == "from":
                low = (value,)
            elif kind == "after":
                low = (value, _TOP)
            elif kind == "to":
                high = (value, _TOP)
            else:
                high = (value,)
    elif comparison == "BEGINS_WITH" and isinstance(range_objs[0].cast_value, str):
        low = (range_objs[0].cast_value,)
        end = _prefix_end(range_objs[0].cast_value)
        high = None if end is None else (end,)
    elif comparison is not None:
        return [_stored(table, e[3], e[4]) for e in partition]
    start_attrs = (keys.range_attr, table.hash_key_attr, table.range_key_attr)
    if start_key and all(a is None or a in start_key for a in start_attrs):
        start = tuple(None if a is None else DynamoType(start_key[a]).cast_value for a in start_attrs)
        low, high = _from_start(low, high, start, forward)
    found = partition.irange(low, high, reverse=not forward)
    if limit:
        # The start item itself does not count towards the limit; one more
        # tells moto a page follows.
        found = itertools.islice(found, limit + 2)
    return [_stored(table, e[3], e[4]) for e in found]


def query_one_index_partition():
    original = Table.query
    signature = inspect.signature(original)  # moto's, through functools.wraps

    def query(self, *args, **kwargs):
        call = signature.bind(self, *args, **kwargs)
        call.apply_defaults()
        a = call.arguments
        if not a["index_name"] or a["filter_kwargs"] or len(a["range_key_conditions"] or ()) > 1:
            return original(self, *args, **kwargs)
        keys = _index_of(self, a["index_name"])
        conditions = a["hash_key_conditions"] or ()
        if keys is None or len(conditions) != 1 or conditions[0][0] != keys.hash_attr:
            return original(self, *args, **kwargs)
        try:
            items = _index_candidates(
                self,
                keys,
                conditions[0][1],
                a["range_comparison"],
                a["range_objs"],
                a["exclusive_start_key"],
                a["scan_index_forward"] is not False,
                a["limit"],
            )
        except TypeError:  # a condition value of another type than the key
            return original(self, *args, **kwargs)
        return _query_over(self, [i for i in items if i is not None], original, args, kwargs)

    Table.query = query

    original_update = DynamoDBBackend.update_item

    def update_item(self, table_name, key, *args, **kwargs):
        try:
            return original_update(self, table_name, key, *args, **kwargs)
        finally:
            # Updates change the stored item in place, index keys included.
            table = self.tables.get(table_name)
            if table is not None and _index_keys.get(table):
                try:
                    hash_value, range_value = self.get_keys_value(table, key)
                except Exception:
                    pass  # refused before it changed anything
                else:
                    _sync_index_keys(table, hash_value, range_value)

    DynamoDBBackend.update_item = update_item


# --- Streams -----------------------------------------------------------------


def _trim(shard):
    """Drops the records past the retention period or the cap, oldest first;
    sequence numbers of the others stay as they were."""
    records = shard.items
    drop = max(len(records) - STREAM_MAX_RECORDS, 0)
    cutoff = utcnow() - STREAM_RETENTION
    while drop < len(records) and records[drop].record["dynamodb"]["ApproximateCreationDateTime"] < cutoff:
        drop += 1
    if drop:
        del records[:drop]
        shard.starting_sequence_number += drop


def bound_streams():
    original_add = StreamShard.add
    original_get = StreamShard.get

    def add(self, old, new):
        original_add(self, old, new)
        _trim(self)

    def get(self, start, quantity):
        if start < self.starting_sequence_number:
            raise JsonRESTError(
                "TrimmedDataAccessException",
                "The records at this position are past the stream's retention period.",
            )
        return original_get(self, start, quantity)

    StreamShard.add = add
    StreamShard.get = get

    original_init = ShardIterator.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.created_at = time.monotonic()

    ShardIterator.__init__ = init

    def expire_iterators(backend):
        # Insertion order is creation order: the oldest come first.
        cutoff = time.monotonic() - SHARD_ITERATOR_LIFETIME_SECS
        for arn, iterator in list(backend.shard_iterators.items()):
            if getattr(iterator, "created_at", cutoff) >= cutoff:
                break
            del backend.shard_iterators[arn]

    original_get_shard_iterator = DynamoDBStreamsBackend.get_shard_iterator
    original_get_records = DynamoDBStreamsBackend.get_records

    def get_shard_iterator(self, *args, **kwargs):
        expire_iterators(self)
        return original_get_shard_iterator(self, *args, **kwargs)

    def get_records(self, iterator_arn, limit):
        expire_iterators(self)
        if iterator_arn not in self.shard_iterators:
            raise JsonRESTError("ExpiredIteratorException", "Iterator expired or unknown.")
        return original_get_records(self, iterator_arn, limit)

    DynamoDBStreamsBackend.get_shard_iterator = get_shard_iterator
    DynamoDBStreamsBackend.get_records = get_records


# --- Responses ---------------------------------------------------------------


def write_attribute_values_directly():
    original = BaseJSONSerializer._serialize
    services = {"dynamodb", "dynamodbstreams"}

    def wire(serializer, value):
        """What moto's serializer makes of an AttributeValue ({"S": "x"},
        {"B": b"..."}, {"M": {...}}, ...): binary as base64, the rest as is."""
        ((kind, inner),) = value.items()
        if kind == "B":
            return {"B": serializer._base64(inner)}
        if kind == "BS":
            return {"BS": [serializer._base64(v) for v in inner]}
        if kind == "M":
            return {"M": {k: wire(serializer, v) for k, v in inner.items()}}
        if kind == "L":
            return {"L": [wire(serializer, v) for v in inner]}
        if kind in ("S", "N"):
            return {kind: str(inner)}
        if kind in ("SS", "NS"):
            return {kind: [str(v) for v in inner]}
        return {kind: inner}  # BOOL, NULL

    def _serialize(self, serialized, value, shape, key):
        if (
            key
            and shape.name == "AttributeValue"
            and isinstance(value, dict)
            and len(value) == 1
            and self.service_model.service_name in services
        ):
            serialized[self.get_serialized_name(shape, key)] = wire(self, value)
            return
        original(self, serialized, value, shape, key)

    BaseJSONSerializer._serialize = _serialize
