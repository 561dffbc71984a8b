"""Prints template.yaml as CloudFormation sees it after the SAM transform
(JSON), for checkov: `make lint-template` checks this expanded form.

Two things `sam package` and the SAM transform would do differently here:
local CodeUri paths become a placeholder S3 object (packaging uploads them),
and the skips (with reasons) written on the API in the template's metadata are
carried to the stage SAM generates from it, which SAM does not do itself.
"""

import contextlib
import io
import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The template names managed policies by ARN only; nothing to look up."""

    def load(self):
        return {}

    def get_managed_policy_map(self):
        return {}


def main(path):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with open(path) as f:
        template = yaml_parse(f.read())
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://artifacts/bookwarden.zip"
    # The transform reports feature toggles it has no configuration for.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        expanded = transform(template, {}, NoManagedPolicies())
    resources = expanded["Resources"]
    for name, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Api" or "Metadata" not in resource:
            continue
        for generated in resources.values():
            if generated["Type"] == "AWS::ApiGateway::Stage" and generated["Properties"].get("RestApiId") == {"Ref": name}:
                generated.setdefault("Metadata", {}).update(resource["Metadata"])
    json.dump(expanded, sys.stdout, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
