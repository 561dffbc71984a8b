"""Prints a table's DynamoDB stream, read from the local stand-in, as the
event Lambda would deliver to a function whose event source mapping carries
FILTER (a JSON pattern as in template.yaml; only `eventName` and
`dynamodb.NewImage.<attr>.S` equality lists are supported, which is what the
template uses).

Usage: stream_event.py ENDPOINT TABLE FILTER_JSON
"""

import json
import sys

import boto3


def matches(pattern, record):
    """The subset of Lambda's filter rules the template's patterns use."""
    if "eventName" in pattern and record["eventName"] not in pattern["eventName"]:
        return False
    for attr, rule in pattern.get("dynamodb", {}).get("NewImage", {}).items():
        value = record["dynamodb"].get("NewImage", {}).get(attr, {})
        for kind, allowed in rule.items():
            if value.get(kind) not in allowed:
                return False
    return True


def main():
    endpoint, table, pattern = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    options = dict(
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    arn = boto3.client("dynamodb", **options).describe_table(TableName=table)["Table"][
        "LatestStreamArn"
    ]
    streams = boto3.client("dynamodbstreams", **options)
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records.extend(page["Records"])
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    chosen = [r for r in records if matches(pattern, r)]
    print(json.dumps({"Records": chosen}, default=str))


if __name__ == "__main__":
    main()
