//! Creates the resources template.yaml declares, on the local stand-in.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use bookwarden_shared::aws::Clients;
use bookwarden_shared::config::Config;
use bookwarden_shared::store::INDEXES;

/// Anything failed while provisioning.
pub type ProvisionError = Box<dyn std::error::Error + Send + Sync>;

/// The two KMS keys, by alias.
#[derive(Clone, Debug)]
pub struct Keys {
    /// Alias of the symmetric data key.
    pub data: String,
    /// Alias of the DKIM signing key.
    pub dkim: String,
}

/// Creates the table as template.yaml does: string `PK`/`SK`, on-demand, the
/// two sparse indexes, a stream of new images, TTL on `expires_at`.
pub async fn create_table(clients: &Clients, name: &str) -> Result<(), ProvisionError> {
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
    };
    let mut table = clients
        .dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("PK")?)
        .attribute_definitions(attr("SK")?)
        .key_schema(key("PK", KeyType::Hash)?)
        .key_schema(key("SK", KeyType::Range)?)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()?,
        )
        .deletion_protection_enabled(true);
    for (index, pk, sk, copied) in INDEXES {
        let projection = Projection::builder()
            .projection_type(ProjectionType::Include)
            .set_non_key_attributes(Some(copied.iter().map(|a| (*a).to_owned()).collect()))
            .build();
        table = table
            .attribute_definitions(attr(pk)?)
            .attribute_definitions(attr(sk)?)
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index)
                    .key_schema(key(pk, KeyType::Hash)?)
                    .key_schema(key(sk, KeyType::Range)?)
                    .projection(projection)
                    .build()?,
            );
    }
    table.send().await?;
    clients
        .dynamodb
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(bookwarden_shared::store::EXPIRES_ATTR)
                .enabled(true)
                .build()?,
        )
        .send()
        .await?;
    Ok(())
}

/// The keystore table's name beside a main table (template.yaml: `Keystore`).
pub fn keystore_table(table: &str) -> String {
    format!("{table}-keystore")
}

/// Creates everything stateful that template.yaml declares around the main
/// table `table`: the table, the keystore table (CRY-6), the export bucket
/// (PRIV-1) and the object-locked audit anchor bucket (AUD-2), named as
/// [`local_config`] names them.
pub async fn create_storage(clients: &Clients, table: &str) -> Result<(), ProvisionError> {
    create_table(clients, table).await?;
    create_single_key_table(clients, &keystore_table(table)).await?;
    // Outside us-east-1, S3 wants the bucket's region named.
    let region = clients
        .s3
        .config()
        .region()
        .map(|r| r.as_ref().to_owned())
        .unwrap_or_default();
    let location = (region != "us-east-1").then(|| {
        aws_sdk_s3::types::CreateBucketConfiguration::builder()
            .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                region.as_str(),
            ))
            .build()
    });
    clients
        .s3
        .create_bucket()
        .bucket(format!("{table}-exports"))
        .set_create_bucket_configuration(location.clone())
        .send()
        .await?;
    clients
        .s3
        .create_bucket()
        .bucket(format!("{table}-audit-anchors"))
        .set_create_bucket_configuration(location)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await?;
    // As template.yaml: every anchor kept 400 days in compliance mode.
    clients
        .s3
        .put_object_lock_configuration()
        .bucket(format!("{table}-audit-anchors"))
        .object_lock_configuration(
            aws_sdk_s3::types::ObjectLockConfiguration::builder()
                .object_lock_enabled(aws_sdk_s3::types::ObjectLockEnabled::Enabled)
                .rule(
                    aws_sdk_s3::types::ObjectLockRule::builder()
                        .default_retention(
                            aws_sdk_s3::types::DefaultRetention::builder()
                                .mode(aws_sdk_s3::types::ObjectLockRetentionMode::Compliance)
                                .days(400)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await?;
    Ok(())
}

/// Creates a table keyed by a string `PK` alone, on-demand, as template.yaml
/// declares the keystore (CRY-6) and the global directory (PRIV-4).
pub async fn create_single_key_table(clients: &Clients, name: &str) -> Result<(), ProvisionError> {
    clients
        .dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("PK")
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("PK")
                .key_type(KeyType::Hash)
                .build()?,
        )
        .deletion_protection_enabled(true)
        .send()
        .await?;
    Ok(())
}

/// Creates the data key (symmetric, rotating) and the DKIM key (RSA_2048,
/// SIGN_VERIFY) under `alias/<prefix>/data` and `alias/<prefix>/dkim`.
pub async fn create_keys(clients: &Clients, prefix: &str) -> Result<Keys, ProvisionError> {
    let data = clients
        .kms
        .create_key()
        .description("Bookwarden data-key wrapping key")
        .send()
        .await?;
    let data_id = data
        .key_metadata()
        .map(|m| m.key_id().to_owned())
        .ok_or("no key id")?;
    clients
        .kms
        .enable_key_rotation()
        .key_id(&data_id)
        .send()
        .await?;
    let dkim = clients
        .kms
        .create_key()
        .description("Bookwarden DKIM signing key")
        .key_spec(KeySpec::Rsa2048)
        .key_usage(KeyUsageType::SignVerify)
        .send()
        .await?;
    let dkim_id = dkim
        .key_metadata()
        .map(|m| m.key_id().to_owned())
        .ok_or("no key id")?;
    let keys = Keys {
        data: format!("alias/{prefix}/data"),
        dkim: format!("alias/{prefix}/dkim"),
    };
    clients
        .kms
        .create_alias()
        .alias_name(&keys.data)
        .target_key_id(data_id)
        .send()
        .await?;
    clients
        .kms
        .create_alias()
        .alias_name(&keys.dkim)
        .target_key_id(dkim_id)
        .send()
        .await?;
    Ok(keys)
}

/// Registers the sending domain as an SES identity.
pub async fn create_identity(clients: &Clients, domain: &str) -> Result<(), ProvisionError> {
    clients
        .ses
        .create_email_identity()
        .email_identity(domain)
        .send()
        .await?;
    Ok(())
}

/// The calendar clients secret of a local stack (the template's
/// `CalendarClientsSecret`; `infra/local/sam-local-env.json` names it too).
pub const LOCAL_CALENDAR_CLIENTS_SECRET: &str = "bookwarden-local/calendar-clients";

/// The OAuth clients a local stack is registered as, with the local test
/// OAuth server (infra/test-peers/) standing in for Google and Microsoft:
/// `(provider, client_id, client_secret)`. Fixed test values, so that the
/// peer can check them; they open nothing outside the local stack.
pub const LOCAL_OAUTH_CLIENTS: [(&str, &str, &str); 2] = [
    ("google", "google-local", "google-local-secret"),
    ("microsoft", "microsoft-local", "microsoft-local-secret"),
];

/// The value of a calendar clients secret naming `clients` (see
/// `bookwarden_shared::calendar::clients`).
pub fn calendar_clients_value(clients: &[(&str, &str, &str)]) -> String {
    let providers: serde_json::Map<String, serde_json::Value> = clients
        .iter()
        .map(|(provider, id, secret)| {
            (
                (*provider).to_owned(),
                serde_json::json!({"client_id": id, "client_secret": secret}),
            )
        })
        .collect();
    serde_json::Value::Object(providers).to_string()
}

/// Creates [`LOCAL_CALENDAR_CLIENTS_SECRET`] holding [`LOCAL_OAUTH_CLIENTS`],
/// encrypted under the data key as in AWS.
pub async fn create_calendar_clients_secret(
    clients: &Clients,
    keys: &Keys,
) -> Result<(), ProvisionError> {
    clients
        .secrets
        .create_secret()
        .name(LOCAL_CALENDAR_CLIENTS_SECRET)
        .description("OAuth clients of the calendar providers (local test values)")
        .kms_key_id(&keys.data)
        .secret_string(calendar_clients_value(&LOCAL_OAUTH_CLIENTS))
        .send()
        .await?;
    Ok(())
}

/// The configuration the functions get in AWS, for a local stack.
pub fn local_config(table: &str, keys: &Keys, app_base_url: &str) -> Config {
    Config {
        table_name: table.to_owned(),
        keystore_table: keystore_table(table),
        export_bucket: format!("{table}-exports"),
        audit_anchor_bucket: format!("{table}-audit-anchors"),
        data_key_id: keys.data.clone(),
        dkim_key_id: keys.dkim.clone(),
        dkim_selector: "bookwarden".to_owned(),
        mail_domain: "mail.bookwarden.test".to_owned(),
        mail_from_local: "no-reply".to_owned(),
        ses_configuration_set: None,
        app_base_url: app_base_url.to_owned(),
        // moto enforces no IAM: the local stack reaches tenant data with its
        // own credentials, explicitly (tests opt in to assumed roles).
        tenant_credentials: bookwarden_shared::store::TenantCredentials::FunctionRole,
        calendar_endpoints: bookwarden_shared::calendar::providers::Endpoints::production(),
        // Provisioned by `create_calendar_clients_secret`.
        calendar_clients_secret: Some(LOCAL_CALENDAR_CLIENTS_SECRET.to_owned()),
        region: "us-east-1".to_owned(),
        regions: Vec::new(),
        directory: None,
    }
}

/// One regional stack on the local stand-in, provisioned as template.yaml
/// deploys one: storage, keys, the calendar clients secret, the SES identity.
pub struct RegionalStack {
    /// Clients of that region.
    pub clients: Clients,
    /// Its functions' configuration (no directory or region list yet).
    pub config: Config,
    /// Its KMS keys.
    pub keys: Keys,
}

/// Provisions a regional stack in `region` of the stand-in at `endpoint`.
pub async fn regional_stack(
    endpoint: &str,
    region: &str,
    table: &str,
    key_prefix: &str,
    base_url: &str,
) -> Result<RegionalStack, ProvisionError> {
    let clients = Clients::from_sdk_config(&super::sdk_config_in(endpoint, region));
    create_storage(&clients, table).await?;
    let keys = create_keys(&clients, key_prefix).await?;
    create_calendar_clients_secret(&clients, &keys).await?;
    let mut config = local_config(table, &keys, base_url);
    config.region = region.to_owned();
    create_identity(&clients, &config.mail_domain).await?;
    Ok(RegionalStack {
        clients,
        config,
        keys,
    })
}
