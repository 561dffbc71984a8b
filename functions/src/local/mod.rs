//! The local stack: a serialised moto server standing in for AWS, provisioned
//! with the same resources as template.yaml, and a gateway serving every route
//! from the in-process handlers. Used by `make dev` and by the tests.

pub mod gateway;
pub mod moto;
pub mod provision;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;

/// An SDK configuration pointing every client at a local endpoint with dummy
/// credentials, so no request can reach a real AWS account.
pub fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            Credentials::new("testing", "testing", None, None, "local"),
        ))
        .build()
}
