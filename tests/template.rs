//! The template deploys on the first try and carries the promised defences
//! (INF-1..INF-5, the deploy blockers of a first deploy), read from
//! template.yaml and from its SAM-expanded form (infra/template/expand.py, the
//! same expansion checkov reads in `make lint-template`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use bookwarden_functions::local::moto::{python, repo_root};
use bookwarden_functions::routes::{table_json, ROUTES};
use bookwarden_shared::http::{MAX_BODY_BYTES, SECURITY_HEADERS};
use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

fn template() -> &'static Yaml {
    static DOC: OnceLock<Yaml> = OnceLock::new();
    DOC.get_or_init(|| {
        let text =
            std::fs::read_to_string(repo_root().join("template.yaml")).expect("template.yaml");
        YamlLoader::load_from_str(&text)
            .expect("template parses")
            .remove(0)
    })
}

/// The template as CloudFormation receives it after the SAM transform.
fn expanded() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let out = Command::new(python())
            .arg(repo_root().join("infra/template/expand.py"))
            .arg(repo_root().join("template.yaml"))
            .output()
            .expect("run expand.py with the venv (make venv)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("expanded template is JSON")
    })
}

fn resources() -> &'static yaml_rust2::yaml::Hash {
    template()["Resources"].as_hash().expect("Resources")
}

fn functions() -> Vec<(&'static str, &'static Yaml)> {
    resources()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(n, r)| (n.as_str().expect("name"), r))
        .collect()
}

fn expanded_of_type(kind: &str) -> Vec<(&'static String, &'static Value)> {
    expanded()["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

fn strings(value: &Yaml) -> Vec<&str> {
    match value {
        Yaml::String(s) => vec![s.as_str()],
        Yaml::Array(a) => a.iter().filter_map(Yaml::as_str).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn the_committed_template_is_what_the_generator_writes() {
    let mut child = Command::new(python())
        .arg(repo_root().join("infra/template/generate.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run generate.py with the venv (make venv)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(table_json().as_bytes())
        .expect("routes");
    let out = child.wait_with_output().expect("generate.py exits");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = std::fs::read_to_string(repo_root().join("template.yaml")).expect("template");
    assert!(
        String::from_utf8_lossy(&out.stdout) == committed,
        "template.yaml is stale: run `make template`"
    );
    // Every route has its function, and every function of the route table is there.
    for route in ROUTES {
        assert!(
            !resources()[&Yaml::String(route.function.to_owned())].is_badvalue(),
            "{} missing",
            route.function
        );
    }
}

#[test]
fn stage_logging_has_its_account_role_and_nothing_stateful_is_stranded_by_a_failed_create() {
    let account = &template()["Resources"]["ApiGatewayAccount"];
    assert_eq!(account["Type"].as_str(), Some("AWS::ApiGateway::Account"));
    let role = &template()["Resources"]["ApiGatewayLogsRole"]["Properties"];
    assert!(
        format!("{:?}", role["ManagedPolicyArns"]).contains("AmazonAPIGatewayPushToCloudWatchLogs")
    );

    let mut retained = 0;
    for (name, resource) in resources() {
        let Some(policy) = resource["DeletionPolicy"].as_str() else {
            continue;
        };
        retained += 1;
        assert_eq!(
            policy, "RetainExceptOnCreate",
            "{name:?}: a rolled-back first create must not leave it behind"
        );
    }
    for kind in [
        "AWS::DynamoDB::Table",
        "AWS::KMS::Key",
        "AWS::Logs::LogGroup",
        "AWS::Backup::BackupVault",
    ] {
        for (name, resource) in resources() {
            if resource["Type"].as_str() == Some(kind) {
                assert!(
                    resource["DeletionPolicy"].as_str().is_some(),
                    "{name:?} ({kind}) survives stack deletion"
                );
            }
        }
    }
    assert!(retained > 60, "{retained}");
}

#[test]
fn the_fallback_is_invoked_through_one_permission_scoped_to_the_api() {
    let permissions: Vec<_> = expanded_of_type("AWS::Lambda::Permission")
        .into_iter()
        .filter(|(_, p)| {
            p["Properties"]["FunctionName"]
                .to_string()
                .contains("FallbackFunction")
        })
        .collect();
    assert_eq!(permissions.len(), 1, "{permissions:?}");
    let source = permissions[0].1["Properties"]["SourceArn"].to_string();
    assert!(
        source.contains("execute-api") && source.contains("${Api}/*"),
        "{source}"
    );
    // Far below Lambda's 20 KB resource-policy limit however many routes come.
    let fallback = &template()["Resources"]["FallbackFunction"]["Properties"];
    assert!(fallback["Events"].is_badvalue());
}

#[test]
fn the_mail_domain_identity_publishes_what_verifies_it() {
    let outputs = &template()["Outputs"];
    for n in 1..=3 {
        let record = format!(
            "{:?}",
            outputs[format!("MailIdentityRecord{n}").as_str()]["Value"]
        );
        assert!(
            record.contains(&format!("MailIdentity.DkimDNSTokenName{n}"))
                && record.contains(&format!("MailIdentity.DkimDNSTokenValue{n}"))
                && record.contains("CNAME"),
            "{record}"
        );
    }
}

fn waf_rules() -> Vec<&'static Yaml> {
    template()["Resources"]["WafAcl"]["Properties"]["Rules"]
        .as_vec()
        .expect("rules")
        .iter()
        .collect()
}

#[test]
fn inf1_a_waf_guards_the_stage_with_managed_rules_rate_limits_and_the_body_limit() {
    let acl = &template()["Resources"]["WafAcl"]["Properties"];
    assert_eq!(acl["Scope"].as_str(), Some("REGIONAL"));
    let managed: BTreeSet<&str> = waf_rules()
        .iter()
        .filter_map(|r| r["Statement"]["ManagedRuleGroupStatement"]["Name"].as_str())
        .collect();
    for group in [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesSQLiRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    ] {
        assert!(managed.contains(group), "{group}");
    }
    let rates: Vec<&Yaml> = waf_rules()
        .into_iter()
        .filter(|r| !r["Statement"]["RateBasedStatement"].is_badvalue())
        .collect();
    assert_eq!(rates.len(), 2);
    let per_client = &rates[0]["Statement"]["RateBasedStatement"];
    assert_eq!(per_client["AggregateKeyType"].as_str(), Some("IP"));
    let sensitive = format!(
        "{:?}",
        rates[1]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
    );
    for prefix in ["/v1/auth/", "/v1/public/"] {
        assert!(sensitive.contains(prefix), "{prefix}: {sensitive}");
    }
    // The body rule matches the API's own limit, and oversize bodies match it.
    let body = waf_rules()
        .into_iter()
        .find_map(|r| {
            let s = &r["Statement"]["SizeConstraintStatement"];
            (!s.is_badvalue()).then_some((r, s))
        })
        .expect("a body size rule");
    assert_eq!(body.1["Size"].as_i64(), Some(MAX_BODY_BYTES as i64));
    assert_eq!(body.1["ComparisonOperator"].as_str(), Some("GT"));
    assert_eq!(
        body.1["FieldToMatch"]["Body"]["OversizeHandling"].as_str(),
        Some("MATCH")
    );
    assert!(!body.0["Action"]["Block"].is_badvalue());
    // The common rule set's smaller body limit would refuse valid requests.
    assert!(format!("{:?}", waf_rules()).contains("SizeRestrictions_BODY"));

    let association = &template()["Resources"]["WafAclAssociation"]["Properties"];
    assert!(
        format!("{:?}", association["ResourceArn"]).contains("/restapis/${Api}/stages/${Stage}")
    );

    let logging = &template()["Resources"]["WafLogging"]["Properties"];
    let redacted: BTreeSet<&str> = logging["RedactedFields"]
        .as_vec()
        .expect("redacted")
        .iter()
        .filter_map(|f| f["SingleHeader"]["Name"].as_str())
        .collect();
    assert_eq!(
        redacted,
        BTreeSet::from(["authorization", "cookie", "x-api-key"])
    );
    let alarm = &template()["Resources"]["WafBlocksAlarm"]["Properties"];
    assert_eq!(alarm["MetricName"].as_str(), Some("BlockedRequests"));
}

#[test]
fn inf2_with_a_domain_the_api_answers_only_tls_1_3_on_it_and_publishes_it() {
    let domain = &template()["Resources"]["ApiDomain"];
    assert_eq!(domain["Condition"].as_str(), Some("HasDomain"));
    assert_eq!(
        domain["Properties"]["SecurityPolicy"].as_str(),
        Some("SecurityPolicy_TLS13_1_3_2025_09")
    );
    assert_eq!(
        domain["Properties"]["EndpointAccessMode"].as_str(),
        Some("STRICT")
    );
    let api = &template()["Resources"]["Api"]["Properties"];
    assert!(format!("{:?}", api["DisableExecuteApiEndpoint"]).contains("HasDomain"));
    let url = format!("{:?}", template()["Outputs"]["ApiUrl"]["Value"]);
    assert!(
        url.contains("HasDomain") && url.contains("https://${ApiDomainName}"),
        "{url}"
    );
    // A stack without a domain still deploys (development).
    assert_eq!(
        template()["Parameters"]["ApiDomainName"]["Default"].as_str(),
        Some("")
    );
}

#[test]
fn inf3_every_function_runs_in_private_subnets_behind_https_only_groups() {
    // Mail reaches SES's API; calendar functions reach providers and
    // user-supplied URLs (each address checked, WEB-6); deleting a user or
    // one's own account revokes their calendar grants. Nothing else has an
    // internet route.
    let egress_functions: BTreeSet<&str> = [
        "SendMailFunction",
        "OutboxRetryFunction",
        "SyncCalendarsFunction",
        "StartCalendarConnectionFunction",
        "FinishCalendarConnectionFunction",
        "ListConnectionCalendarsFunction",
        "SelectConnectionCalendarsFunction",
        "SyncCalendarConnectionFunction",
        "DisconnectCalendarFunction",
        "SetPlanFunction",
        "DeleteUserFunction",
        "DeleteMeFunction",
        "CloseBusinessFunction",
    ]
    .into();
    for (name, function) in functions() {
        let vpc = format!("{:?}", function["Properties"]["VpcConfig"]);
        assert!(vpc.contains("InVpc"), "{name}: {vpc}");
        if egress_functions.contains(name) {
            assert!(
                vpc.contains("MailFunctionSecurityGroup") && vpc.contains("EgressSubnetA"),
                "{name}"
            );
        } else {
            assert!(
                vpc.contains("\"FunctionSecurityGroup\"") && vpc.contains("PrivateSubnetA"),
                "{name}: {vpc}"
            );
            assert!(!vpc.contains("Egress"), "{name} has no internet route");
        }
    }
    for group in ["FunctionSecurityGroup", "MailFunctionSecurityGroup"] {
        let rules = &template()["Resources"][group]["Properties"]["SecurityGroupEgress"];
        for rule in rules.as_vec().expect("egress rules") {
            assert_eq!(rule["IpProtocol"].as_str(), Some("tcp"), "{group}");
            assert_eq!(
                (rule["FromPort"].as_i64(), rule["ToPort"].as_i64()),
                (Some(443), Some(443)),
                "{group}"
            );
        }
        assert!(template()["Resources"][group]["Properties"]["SecurityGroupIngress"].is_badvalue());
    }
    let endpoints = &template()["Resources"]["EndpointSecurityGroup"]["Properties"];
    let sources: BTreeSet<String> = endpoints["SecurityGroupIngress"]
        .as_vec()
        .expect("ingress")
        .iter()
        .map(|r| {
            assert_eq!(r["FromPort"].as_i64(), Some(443));
            format!("{:?}", r["SourceSecurityGroupId"])
        })
        .collect();
    assert_eq!(sources.len(), 2);
    assert!(sources.iter().all(|s| s.contains("FunctionSecurityGroup")));
    // DynamoDB through a gateway endpoint, KMS and STS through interface endpoints.
    let mut services = BTreeMap::new();
    for (_, r) in resources() {
        if r["Type"].as_str() == Some("AWS::EC2::VPCEndpoint") {
            let service = r["Properties"]["ServiceName"]
                .as_str()
                .expect("service name");
            let service = service.rsplit('.').next().unwrap_or_default().to_owned();
            services.insert(
                service,
                r["Properties"]["VpcEndpointType"]
                    .as_str()
                    .unwrap_or_default(),
            );
        }
    }
    assert_eq!(services.get("dynamodb"), Some(&"Gateway"));
    assert_eq!(services.get("kms"), Some(&"Interface"));
    assert_eq!(services.get("sts"), Some(&"Interface"));
    // Only the egress subnets route to the NAT gateway.
    let nat_routes: Vec<String> = resources()
        .iter()
        .filter(|(_, r)| {
            r["Type"].as_str() == Some("AWS::EC2::Route")
                && !r["Properties"]["NatGatewayId"].is_badvalue()
        })
        .map(|(_, r)| format!("{:?}", r["Properties"]["RouteTableId"]))
        .collect();
    assert_eq!(nat_routes.len(), 1);
    assert!(nat_routes[0].contains("EgressRouteTable"));
    // Development stacks may trade the network away: a parameter, not an edit.
    let network = &template()["Parameters"]["Network"];
    assert_eq!(network["Default"].as_str(), Some("private"));
}

/// The statements of a function's own role, by Sid.
fn role_statements(function: &str) -> Vec<&'static Yaml> {
    let role = function.replace("Function", "Role");
    template()["Resources"][role.as_str()]["Properties"]["Policies"]
        .as_vec()
        .expect("policies")
        .iter()
        .flat_map(|p| {
            p["PolicyDocument"]["Statement"]
                .as_vec()
                .expect("statements")
                .iter()
        })
        .collect()
}

#[test]
fn inf3_each_function_has_its_own_role_writing_only_its_own_log_group() {
    let mut roles = BTreeSet::new();
    for (name, function) in functions() {
        let role = format!("{:?}", function["Properties"]["Role"]);
        assert!(
            role.contains(&name.replace("Function", "Role")),
            "{name}: {role}"
        );
        assert!(roles.insert(role), "{name} shares a role");
        let logs: Vec<&Yaml> = role_statements(name)
            .into_iter()
            .filter(|s| strings(&s["Action"]).iter().any(|a| a.starts_with("logs:")))
            .collect();
        assert_eq!(logs.len(), 1, "{name}");
        assert_eq!(
            format!("{:?}", logs[0]["Resource"]),
            format!(
                "{:?}",
                Yaml::String(format!(
                    "{}LogGroup.Arn",
                    name.strip_suffix("Function").unwrap()
                ))
            ),
            "{name} writes only its own log group"
        );
        assert_eq!(
            strings(&logs[0]["Action"]),
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            "{name}"
        );
    }
    // No function falls back to SAM's generated role with its account-wide log access.
    assert!(expanded_of_type("AWS::IAM::Role")
        .iter()
        .all(|(_, r)| !r["Properties"]["ManagedPolicyArns"]
            .to_string()
            .contains("AWSLambdaBasicExecutionRole")));
}

#[test]
fn inf3_data_keys_open_only_with_a_named_context_and_reads_stay_reads() {
    for (name, _) in functions() {
        for statement in role_statements(name) {
            if statement["Sid"].as_str() == Some("TenantDataKeys") {
                let condition = &statement["Condition"];
                assert_eq!(
                    strings(&condition["ForAllValues:StringEquals"]["kms:EncryptionContextKeys"]),
                    ["tenant", "purpose"],
                    "{name}"
                );
                // ForAllValues alone passes a request with no context at all.
                for key in [
                    "kms:EncryptionContext:tenant",
                    "kms:EncryptionContext:purpose",
                ] {
                    assert_eq!(
                        condition["Null"][key].as_str(),
                        Some("false"),
                        "{name}: {key}"
                    );
                }
            }
        }
    }
    // GET routes keep one write: the session or key's last-use touch. The
    // OAuth callback is the exception the protocol makes: the provider sends
    // the browser back with a GET, which consumes the pending authorization
    // and creates the connection.
    for route in ROUTES.iter().filter(|r| {
        r.method == http::Method::GET && r.function != "FinishCalendarConnectionFunction"
    }) {
        for statement in role_statements(route.function) {
            if statement["Sid"].as_str() == Some("Table") {
                for action in strings(&statement["Action"]) {
                    // The audit verification links waiting events before it
                    // walks the chain (AUD-2): the first link of a tenant
                    // creates its chain head.
                    let links_audit =
                        route.function == "VerifyAuditFunction" && action == "dynamodb:PutItem";
                    assert!(
                        links_audit
                            || ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]
                                .contains(&action),
                        "{} ({} {}) may {action}",
                        route.function,
                        route.method,
                        route.path
                    );
                }
            }
        }
    }
}

#[test]
fn gateway_answers_carry_every_security_header_the_functions_set() {
    let responses = &template()["Resources"]["Api"]["Properties"]["GatewayResponses"];
    for kind in ["DEFAULT_4XX", "DEFAULT_5XX"] {
        let headers = responses[kind]["ResponseParameters"]["Headers"]
            .as_hash()
            .expect("headers");
        let got: BTreeMap<String, String> = headers
            .iter()
            .map(|(k, v)| {
                let value = v.as_str().expect("value");
                // API Gateway header values are quoted literals with '' for '.
                let literal = value
                    .strip_prefix('\'')
                    .and_then(|v| v.strip_suffix('\''))
                    .expect("quoted");
                (
                    k.as_str().expect("name").to_lowercase(),
                    literal.replace("''", "'"),
                )
            })
            .collect();
        let want: BTreeMap<String, String> = SECURITY_HEADERS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(got, want, "{kind}");
    }
    // The stage limit is a ceiling for all clients; per-client limits are the WAF's.
    let settings = &template()["Resources"]["Api"]["Properties"]["MethodSettings"][0];
    let per_client = template()["Parameters"]["RateLimitPerClient"]["Default"]
        .as_i64()
        .expect("per-client limit");
    let stage_per_5_minutes = settings["ThrottlingRateLimit"].as_i64().expect("rate") * 300;
    assert!(
        stage_per_5_minutes > 10 * per_client,
        "{stage_per_5_minutes} vs {per_client}"
    );
}

#[test]
fn inf5_alarms_watch_errors_latency_throttles_waf_sign_ins_and_mail_and_roll_back_canaries() {
    let alarms: BTreeMap<&str, &Yaml> = resources()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::CloudWatch::Alarm"))
        .map(|(n, r)| (n.as_str().expect("name"), r))
        .collect();
    for (name, alarm) in &alarms {
        assert_eq!(
            strings(&alarm["Properties"]["AlarmActions"]),
            ["OperatorAlarms"],
            "{name} notifies the operators"
        );
    }
    for required in [
        "ApiErrorsAlarm",
        "ApiLatencyAlarm",
        "LambdaThrottlesAlarm",
        "TableThrottlesAlarm",
        "WafBlocksAlarm",
        "SignInFailuresAlarm",
        "OutboxBacklogAlarm",
        "MailDeferredAlarm",
        "JobFailuresAlarm",
    ] {
        assert!(alarms.contains_key(required), "{required}");
    }
    assert_eq!(
        alarms["ApiLatencyAlarm"]["Properties"]["ExtendedStatistic"].as_str(),
        Some("p99")
    );
    assert!(
        !template()["Resources"]["OperatorAlarms"]["Properties"]["KmsMasterKeyId"].is_badvalue()
    );
    // The sign-in alarm counts the line refused sign-ins log
    // (accounts::login::refusal_log checks the line).
    assert_eq!(
        template()["Resources"]["SignInFailuresMetric"]["Properties"]["FilterPattern"].as_str(),
        Some("{ $.sign_in_refused = 1 }")
    );

    assert_eq!(
        template()["Globals"]["Function"]["AutoPublishAlias"].as_str(),
        Some("live")
    );
    for (name, function) in functions() {
        let preference = &function["Properties"]["DeploymentPreference"];
        let watched = strings(&preference["Alarms"]);
        let own = format!("{}ErrorsAlarm", name.strip_suffix("Function").unwrap());
        assert!(alarms.contains_key(own.as_str()), "{name}");
        assert_eq!(
            watched,
            [own.as_str(), "ApiErrorsAlarm", "ApiLatencyAlarm"],
            "{name}"
        );
        assert!(format!("{:?}", preference["Type"]).contains("DeploymentType"));
    }
    // SAM turns the preferences into CodeDeploy canaries with automatic rollback.
    let groups = expanded_of_type("AWS::CodeDeploy::DeploymentGroup");
    assert_eq!(groups.len(), functions().len());
    for (name, group) in groups {
        let rollback = &group["Properties"]["AutoRollbackConfiguration"];
        assert_eq!(rollback["Enabled"], true, "{name}");
        assert!(
            rollback["Events"]
                .to_string()
                .contains("DEPLOYMENT_STOP_ON_ALARM"),
            "{name}"
        );
    }
}

#[test]
fn inf4_daily_backups_are_kept_35_days_and_copied_to_a_second_region_for_90() {
    let plan = &template()["Resources"]["BackupPlan"]["Properties"]["BackupPlan"];
    let rule = &plan["BackupPlanRule"][0];
    assert_eq!(rule["Lifecycle"]["DeleteAfterDays"].as_i64(), Some(35));
    assert!(rule["ScheduleExpression"]
        .as_str()
        .is_some_and(|s| s.starts_with("cron(0 3 * * ? *")));
    let copy = &rule["CopyActions"][0];
    assert_eq!(copy["Lifecycle"]["DeleteAfterDays"].as_i64(), Some(90));
    assert!(format!("{:?}", copy["DestinationBackupVaultArn"]).contains("${BackupCopyRegion}"));
    assert!(
        !template()["Resources"]["BackupVault"]["Properties"]["EncryptionKeyArn"].is_badvalue()
    );
    assert!(format!("{:?}", template()["Resources"]["BackupSelection"]).contains("Table.Arn"));
    let table = &template()["Resources"]["Table"]["Properties"];
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
        Some(true)
    );
}

#[test]
fn sam_local_gets_an_env_file_pointing_every_function_at_the_local_stand_in() {
    let text = std::fs::read_to_string(repo_root().join("infra/local/sam-local-env.json"))
        .expect("infra/local/sam-local-env.json");
    let env: Value = serde_json::from_str(&text).expect("JSON");
    let vars = env["Parameters"]
        .as_object()
        .expect("Parameters: applies to every function");
    // Everything the template sets from its resources must be overridden, or a
    // function would get a logical id where a table name or key alias belongs.
    for (name, _) in template()["Globals"]["Function"]["Environment"]["Variables"]
        .as_hash()
        .expect("variables")
    {
        let name = name.as_str().expect("name");
        assert!(vars.contains_key(name), "{name} missing");
    }
    assert_eq!(
        vars["TABLE_NAME"], "bookwarden-data",
        "the table `make dev` provisions"
    );
    assert_eq!(vars["DATA_KEY_ID"], "alias/bookwarden/data");
    assert_eq!(vars["AWS_ENDPOINT_URL"], "http://host.docker.internal:4566");
    assert_eq!(vars["AWS_ACCESS_KEY_ID"], "testing", "never a real account");
}

#[test]
fn iso6_tenant_items_are_reachable_only_through_the_tenant_role_assumed_per_tenant() {
    use bookwarden_shared::store::{tenant_leading_keys, FUNCTION_ROLE_PREFIXES};
    let tenant = &template()["Resources"]["TenantRole"]["Properties"];
    let statement = &tenant["Policies"][0]["PolicyDocument"]["Statement"][0];
    assert_eq!(
        strings(&statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]),
        tenant_leading_keys("${aws:PrincipalTag/tenant}"),
        "the role's patterns are the ones the store's tests prove disjoint"
    );
    let trust = &tenant["AssumeRolePolicyDocument"]["Statement"][0]["Condition"];
    assert_eq!(
        trust["StringLike"]["aws:RequestTag/tenant"]
            .as_str()
            .map(str::len),
        Some(26),
        "a session names one whole tenant id"
    );
    assert_eq!(
        strings(&trust["ForAllValues:StringEquals"]["aws:TagKeys"]),
        ["tenant"]
    );
    assert!(format!(
        "{:?}",
        template()["Globals"]["Function"]["Environment"]["Variables"]["TENANT_ROLE_ARN"]
    )
    .contains("TenantRole.Arn"));

    for (name, function) in functions() {
        let statements = role_statements(name);
        let Some(table) = statements
            .iter()
            .find(|s| s["Sid"].as_str() == Some("Table"))
        else {
            continue;
        };
        // Its own role names no tenant partition.
        let keys = strings(&table["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]);
        assert_eq!(keys, FUNCTION_ROLE_PREFIXES, "{name}");
        assert!(keys.iter().all(|k| !k.starts_with("T#")), "{name}");
        assert!(
            statements
                .iter()
                .any(|s| s["Sid"].as_str() == Some("AssumeTenantRole")
                    && strings(&s["Action"]) == ["sts:AssumeRole", "sts:TagSession"]),
            "{name}"
        );
        // Tenant sessions keep to the function's own actions.
        let own: Vec<String> = strings(&table["Action"])
            .iter()
            .map(|a| a.trim_start_matches("dynamodb:").to_owned())
            .collect();
        let session = function["Properties"]["Environment"]["Variables"]["TENANT_ACTIONS"]
            .as_str()
            .expect("TENANT_ACTIONS");
        assert_eq!(session.split(',').collect::<Vec<_>>(), own, "{name}");
    }
}

#[test]
fn only_functions_that_queue_failures_may_send_to_a_queue() {
    for (name, function) in functions() {
        let sends: Vec<String> = role_statements(name)
            .into_iter()
            .filter(|s| strings(&s["Action"]).contains(&"sqs:SendMessage"))
            .map(|s| format!("{:?}", s["Resource"]))
            .collect();
        let dead_letters = !function["Properties"]["DeadLetterQueue"].is_badvalue();
        let mut expected = Vec::new();
        if dead_letters {
            expected.push(format!("{:?}", Yaml::String("JobFailures.Arn".into())));
        }
        if name == "SendMailFunction" {
            // The stream mapping's on-failure destination.
            expected.push(format!("{:?}", Yaml::String("SendMailFailures.Arn".into())));
        }
        assert_eq!(sends, expected, "{name}");
        // Asynchronously invoked jobs keep what failed; API routes have nothing to keep.
        let scheduled_or_notified = function["Properties"]["Events"]
            .as_hash()
            .into_iter()
            .flatten()
            .any(|(_, e)| matches!(e["Type"].as_str(), Some("Schedule" | "SNS")));
        assert_eq!(dead_letters, scheduled_or_notified, "{name}");
    }
}

/// Runs generate.py on a functions file of the test's own, with no routes:
/// the template it writes, or what it refused.
fn generate_with(functions_yaml: &str) -> Result<Yaml, String> {
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "bookwarden-functions-{}-{}.yaml",
        std::process::id(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::write(&path, functions_yaml).expect("write the functions file");
    let mut child = Command::new(python())
        .arg(repo_root().join("infra/template/generate.py"))
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run generate.py with the venv (make venv)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"[]")
        .expect("routes");
    let out = child.wait_with_output().expect("generate.py exits");
    let _ = std::fs::remove_file(&path);
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8(out.stdout).expect("UTF-8 template");
    Ok(YamlLoader::load_from_str(&text)
        .expect("generated template parses")
        .remove(0))
}

/// CRY-5 in a template: every function whose environment names the calendar
/// clients secret may `GetSecretValue` on exactly that secret and decrypt the
/// data key only through Secrets Manager for that secret; no other role
/// mentions Secrets Manager or the secret. Returns the functions that read it.
fn calendar_client_readers(doc: &Yaml) -> BTreeSet<String> {
    let resources = doc["Resources"].as_hash().expect("Resources");
    let mut readers = BTreeSet::new();
    let mut reader_roles = BTreeSet::new();
    for (name, function) in resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
    {
        let name = name.as_str().expect("name");
        let role = name.replace("Function", "Role");
        let env = &function["Properties"]["Environment"]["Variables"]["CALENDAR_CLIENTS_SECRET_ID"];
        let statements: Vec<&Yaml> = doc["Resources"][role.as_str()]["Properties"]["Policies"]
            .as_vec()
            .expect("policies")
            .iter()
            .flat_map(|p| {
                p["PolicyDocument"]["Statement"]
                    .as_vec()
                    .expect("statements")
                    .iter()
            })
            .collect();
        let touching: Vec<&Yaml> = statements
            .iter()
            .copied()
            .filter(|s| {
                let text = format!("{s:?}");
                text.contains("secretsmanager") || text.contains("CalendarClientsSecret")
            })
            .collect();
        if env.is_badvalue() {
            assert!(touching.is_empty(), "{name}: {touching:?}");
            continue;
        }
        assert_eq!(env.as_str(), Some("CalendarClientsSecret"), "{name}");
        assert_eq!(touching.len(), 2, "{name}: {touching:?}");
        let read = touching
            .iter()
            .find(|s| s["Sid"].as_str() == Some("CalendarClients"))
            .expect("the read statement");
        assert_eq!(read["Effect"].as_str(), Some("Allow"));
        assert_eq!(strings(&read["Action"]), ["secretsmanager:GetSecretValue"]);
        assert_eq!(strings(&read["Resource"]), ["CalendarClientsSecret"]);
        assert!(read["Condition"].is_badvalue());
        let key = touching
            .iter()
            .find(|s| s["Sid"].as_str() == Some("CalendarClientsKey"))
            .expect("the decrypt statement");
        assert_eq!(strings(&key["Action"]), ["kms:Decrypt"], "{name}");
        assert_eq!(strings(&key["Resource"]), ["DataKey.Arn"], "{name}");
        let condition = key["Condition"]["StringEquals"]
            .as_hash()
            .expect("StringEquals");
        assert_eq!(condition.len(), 2, "{name}");
        assert_eq!(
            key["Condition"]["StringEquals"]["kms:ViaService"].as_str(),
            Some("secretsmanager.${AWS::Region}.amazonaws.com"),
            "{name}"
        );
        assert_eq!(
            key["Condition"]["StringEquals"]["kms:EncryptionContext:SecretARN"].as_str(),
            Some("CalendarClientsSecret"),
            "{name}"
        );
        readers.insert(name.to_owned());
        reader_roles.insert(role);
    }
    // Nothing else (the tenant role, the logs roles, ...) reaches the secret.
    for (name, role) in resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::IAM::Role"))
    {
        let name = name.as_str().expect("name");
        if reader_roles.contains(name) {
            continue;
        }
        let text = format!("{role:?}");
        assert!(
            !text.contains("secretsmanager") && !text.contains("CalendarClientsSecret"),
            "{name}"
        );
    }
    readers
}

#[test]
fn cry5_calendar_clients_live_encrypted_in_one_secret_only_their_readers_can_open() {
    let secret = &template()["Resources"]["CalendarClientsSecret"];
    assert_eq!(secret["Type"].as_str(), Some("AWS::SecretsManager::Secret"));
    let properties = &secret["Properties"];
    assert_eq!(properties["KmsKeyId"].as_str(), Some("DataKey.Arn"));
    // The operator puts the value; the template holds none.
    assert_eq!(properties["SecretString"].as_str(), Some("{}"));
    assert!(properties["GenerateSecretString"].is_badvalue());
    assert_eq!(
        secret["DeletionPolicy"].as_str(),
        Some("RetainExceptOnCreate")
    );
    let skipped: Vec<&str> = secret["Metadata"]["checkov"]["skip"]
        .as_vec()
        .expect("skips")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(skipped, ["CKV2_AWS_57"], "rotation happens at the provider");
    // Functions in the private subnets reach it through an endpoint.
    let endpoint = &template()["Resources"]["SecretsManagerEndpoint"]["Properties"];
    assert_eq!(endpoint["VpcEndpointType"].as_str(), Some("Interface"));
    assert!(endpoint["ServiceName"]
        .as_str()
        .is_some_and(|s| s.ends_with(".secretsmanager")));
    // The key policy leaves use of the data key to IAM (the account root),
    // so the role statements checked below are what decides.
    let key_policy = &template()["Resources"]["DataKey"]["Properties"]["KeyPolicy"]["Statement"];
    assert_eq!(key_policy.as_vec().map(Vec::len), Some(1), "{key_policy:?}");
    // Whichever functions read it, they read only it.
    let readers = calendar_client_readers(template());
    // Nothing in the environment but the secret's id.
    for (name, function) in functions() {
        let env = format!("{:?}", function["Properties"]["Environment"]);
        assert!(!env.contains("client_secret"), "{name}");
        assert_eq!(
            readers.contains(name),
            env.contains("CALENDAR_CLIENTS_SECRET_ID"),
            "{name}"
        );
    }
    assert!(
        template()["Globals"]["Function"]["Environment"]["Variables"]["CALENDAR_CLIENTS_SECRET_ID"]
            .is_badvalue()
    );
    // `sam local` against `make dev` reads the local stack's secret.
    let text = std::fs::read_to_string(repo_root().join("infra/local/sam-local-env.json"))
        .expect("infra/local/sam-local-env.json");
    let env: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        env["Parameters"]["CALENDAR_CLIENTS_SECRET_ID"],
        bookwarden_functions::local::provision::LOCAL_CALENDAR_CLIENTS_SECRET
    );
}

#[test]
fn the_generator_gives_the_calendar_clients_secret_only_to_functions_that_declare_it() {
    let doc = generate_with(
        "functions:\n  Fallback: {}\n  \
         Reads:\n    job: Reads the calendar clients\n    table: [GetItem]\n    calendar_clients: true\n  \
         Mails:\n    job: Sends mail\n    table: [GetItem]\n    sends_mail: true\n    data_key: [Decrypt]\n  \
         Plain:\n    job: Nothing of them\n",
    )
    .expect("generates");
    assert_eq!(
        calendar_client_readers(&doc),
        BTreeSet::from(["ReadsFunction".to_owned()])
    );
    for refused in [
        "calendar_clients: \"yes\"",
        "calendar_clients: false",
        "calendar_clients: [GetSecretValue]",
        "calendar_client: true",
    ] {
        let err = generate_with(&format!(
            "functions:\n  Fallback: {{}}\n  Reads:\n    job: Reads\n    {refused}\n"
        ))
        .expect_err(refused);
        assert!(err.contains("Reads"), "{refused}: {err}");
    }
}

/// IAM `StringLike` on one value: `*` any run of characters, `?` one.
fn iam_like(pattern: &str, value: &str) -> bool {
    fn go(p: &[u8], v: &[u8]) -> bool {
        match (p.first(), v.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], v) || (!v.is_empty() && go(p, &v[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &v[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &v[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), value.as_bytes())
}

fn tenant_role_statements(role: &str) -> Vec<&'static Yaml> {
    template()["Resources"][role]["Properties"]["Policies"]
        .as_vec()
        .expect("policies")
        .iter()
        .flat_map(|p| {
            p["PolicyDocument"]["Statement"]
                .as_vec()
                .expect("statements")
                .iter()
        })
        .collect()
}

#[test]
fn aud2_only_a_tenant_purge_may_delete_audit_items() {
    use bookwarden_shared::store::{Entity, TenantKey};
    use bookwarden_shared::tenancy::{TenantScope, UserId};
    let deny = tenant_role_statements("TenantRole")
        .into_iter()
        .find(|s| s["Effect"].as_str() == Some("Deny"))
        .expect("TenantRole denies something");
    assert_eq!(strings(&deny["Action"]), ["dynamodb:DeleteItem"]);
    let patterns = strings(&deny["Condition"]["ForAnyValue:StringLike"]["dynamodb:LeadingKeys"]);
    // The patterns cover the audit partitions the store writes, and no other.
    let scope = TenantScope::for_new_tenant();
    let user = UserId::generate();
    let covered = |e: Entity<'_>| {
        let pk = TenantKey::new(&scope, e).pk();
        patterns.iter().any(|p| iam_like(p, &pk))
    };
    assert!(covered(Entity::AuditEvent(
        "2026-01-01T00:00:00.000000Z#ab"
    )));
    assert!(covered(Entity::AuditHead));
    for other in [
        Entity::Profile,
        Entity::User(&user),
        Entity::Session(&user, "s"),
        Entity::OutboxEntry("o"),
        Entity::Claim(&user, 1),
        Entity::CalendarConnection("c"),
    ] {
        assert!(!covered(other), "{other:?}");
    }

    // The purge role is the tenant role without the deny: same trust, same access.
    let resources = &template()["Resources"];
    assert_eq!(
        resources["TenantPurgeRole"]["Properties"]["AssumeRolePolicyDocument"],
        resources["TenantRole"]["Properties"]["AssumeRolePolicyDocument"]
    );
    let allows = |role: &str| -> Vec<&'static Yaml> {
        tenant_role_statements(role)
            .into_iter()
            .filter(|s| s["Effect"].as_str() == Some("Allow"))
            .collect()
    };
    assert_eq!(allows("TenantPurgeRole"), allows("TenantRole"));
    assert!(tenant_role_statements("TenantPurgeRole")
        .iter()
        .all(|s| s["Effect"].as_str() == Some("Allow")));

    // Each function assumes TenantRole, unless it declares purges_audit:
    // then TenantPurgeRole, and its tenant sessions are told so.
    let mut purging = BTreeSet::new();
    for (name, function) in functions() {
        let Some(assume) = role_statements(name)
            .into_iter()
            .find(|s| s["Sid"].as_str() == Some("AssumeTenantRole"))
        else {
            continue;
        };
        let env = format!(
            "{:?}",
            function["Properties"]["Environment"]["Variables"]["TENANT_ROLE_ARN"]
        );
        let purges = env.contains("TenantPurgeRole");
        let role = if purges {
            purging.insert(name.to_owned());
            "TenantPurgeRole.Arn"
        } else {
            "TenantRole.Arn"
        };
        assert_eq!(assume["Resource"].as_str(), Some(role), "{name}");
    }
    assert_eq!(
        purging,
        BTreeSet::from(["PurgeBusinessesFunction".to_owned()]),
        "only the purge of closed businesses"
    );

    let doc = generate_with(
        "functions:\n  Fallback: {}\n  \
         Purge:\n    job: Removes whole tenants\n    table: [Query, DeleteItem]\n    purges_audit: true\n  \
         Plain:\n    job: Cleans up\n    table: [Query, DeleteItem]\n",
    )
    .expect("generates");
    let env = |name: &str| {
        format!(
            "{:?}",
            doc["Resources"][name]["Properties"]["Environment"]["Variables"]["TENANT_ROLE_ARN"]
        )
    };
    assert!(env("PurgeFunction").contains("TenantPurgeRole"));
    assert!(!env("PlainFunction").contains("TenantPurgeRole"));
    let assumed = |role: &str| {
        format!(
            "{:?}",
            doc["Resources"][role]["Properties"]["Policies"][1]["PolicyDocument"]["Statement"]
        )
    };
    assert!(assumed("PurgeRole").contains("TenantPurgeRole.Arn"));
    assert!(!assumed("PlainRole").contains("TenantPurgeRole"));
    for refused in [
        "    table: [GetItem]\n    purges_audit: \"yes\"\n",
        "    purges_audit: true\n",
    ] {
        let err = generate_with(&format!(
            "functions:\n  Fallback: {{}}\n  Purge:\n    job: Purges\n{refused}"
        ))
        .expect_err(refused);
        assert!(err.contains("Purge"), "{refused}: {err}");
    }
}

#[test]
fn aud2_anchors_are_locked_400_days_and_no_role_may_delete_them_or_touch_retention() {
    let bucket = &template()["Resources"]["AuditAnchorBucket"]["Properties"];
    let retention = &bucket["ObjectLockConfiguration"]["Rule"]["DefaultRetention"];
    assert_eq!(retention["Mode"].as_str(), Some("COMPLIANCE"));
    assert_eq!(retention["Days"].as_i64(), Some(400));
    assert_eq!(
        bucket["VersioningConfiguration"]["Status"].as_str(),
        Some("Enabled")
    );

    let allowed = ["s3:PutObject", "s3:GetObject", "s3:ListBucket"];
    let mut anchor_access = BTreeMap::new();
    for (name, resource) in resources() {
        if resource["Type"].as_str() != Some("AWS::IAM::Role") {
            continue;
        }
        let statements = resource["Properties"]["Policies"]
            .as_vec()
            .into_iter()
            .flatten()
            .flat_map(|p| {
                p["PolicyDocument"]["Statement"]
                    .as_vec()
                    .into_iter()
                    .flatten()
            });
        for s in statements {
            let actions = strings(&s["Action"]);
            let name = name.as_str().expect("name");
            let resource = format!("{:?}", s["Resource"]);
            // The export bucket's archives are deleted by their job; every
            // other statement (the anchor bucket's, any wildcard) never deletes.
            let on_exports =
                resource.contains("ExportBucket") && !resource.contains("AuditAnchorBucket");
            assert!(
                actions.iter().all(|a| !matches!(*a, "*" | "s3:*")
                    && (on_exports || !a.starts_with("s3:Delete"))
                    && !a.contains("Retention")
                    && !a.contains("LegalHold")
                    && !a.contains("ObjectLock")),
                "{name}: {actions:?}"
            );
            if format!("{:?}", s["Resource"]).contains("AuditAnchorBucket") {
                assert!(
                    actions.iter().all(|a| allowed.contains(a)),
                    "{name}: {actions:?}"
                );
                anchor_access
                    .entry(name.to_owned())
                    .or_insert_with(Vec::new)
                    .extend(actions.iter().map(|a| (*a).to_owned()));
            }
        }
    }
    assert_eq!(
        anchor_access,
        BTreeMap::from([
            (
                "AnchorAuditRole".to_owned(),
                vec!["s3:PutObject".to_owned()]
            ),
            (
                "VerifyAuditRole".to_owned(),
                vec!["s3:ListBucket".to_owned()]
            ),
        ])
    );
}
