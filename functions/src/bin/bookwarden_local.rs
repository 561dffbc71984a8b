//! `make dev`: the whole API on http://127.0.0.1:3000 against a local moto.
//!
//! Starts moto (serialised), provisions two regional stacks (tables, keys,
//! calendar clients secret and SES identity as template.yaml deploys one, in
//! us-east-1 and eu-central-1) and the global directory, then serves every
//! route from the in-process handlers: the first region on `PORT` (3000), the
//! second on the next port (PRIV-4).
//! Ctrl-C stops everything; moto exits with this process in any case.

use bookwarden_functions::local::{
    gateway, moto::MotoServer, provision, PRIMARY_REGION, SECOND_REGION,
};
use bookwarden_shared::config::{DirectoryLocation, RegionSite};
use bookwarden_shared::{telemetry, Platform};

fn env_port(name: &str, default: u16) -> u16 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    telemetry::init();
    let port = env_port("PORT", 3000);
    let moto = MotoServer::start(env_port("MOTO_PORT", 4566))?;
    let second_port = env_port("SECOND_REGION_PORT", port + 1);
    let (table, second_table) = ("bookwarden-data", "bookwarden-data-eu");
    let first = provision::regional_stack(
        &moto.endpoint,
        PRIMARY_REGION,
        table,
        "bookwarden",
        &format!("http://127.0.0.1:{port}"),
    )
    .await?;
    let second = provision::regional_stack(
        &moto.endpoint,
        SECOND_REGION,
        second_table,
        "bookwarden",
        &format!("http://127.0.0.1:{second_port}"),
    )
    .await?;
    // The global directory (PRIV-4) lives in the first region; both stacks
    // know both regions, as REGIONS tells each deployed stack.
    let directory = "bookwarden-directory";
    provision::create_single_key_table(&first.clients, directory).await?;
    let regions = vec![
        RegionSite {
            name: PRIMARY_REGION.into(),
            base_url: first.config.app_base_url.clone(),
        },
        RegionSite {
            name: SECOND_REGION.into(),
            base_url: second.config.app_base_url.clone(),
        },
    ];
    let located = |mut config: bookwarden_shared::config::Config| {
        config.regions = regions.clone();
        config.directory = Some(DirectoryLocation {
            table: directory.into(),
            region: PRIMARY_REGION.into(),
        });
        config
    };
    let keys = first.keys.clone();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let second_listener = tokio::net::TcpListener::bind(("127.0.0.1", second_port)).await?;

    println!(
        "\nBookwarden is running.\n\n  API            http://127.0.0.1:{port}   (try: curl -i http://127.0.0.1:{port}/health)\n  \
         Pages          http://127.0.0.1:{port}/book/<slug>   (a business's booking page; emailed links open here too)\n  \
         Second region  http://127.0.0.1:{second_port}   ({SECOND_REGION}: sign up with \"region\": \"{SECOND_REGION}\"; the first\n                 region answers its businesses' requests with a 307 there)\n  \
         AWS stand-in   {moto}   (moto; table {table}, keys {data} and {dkim},\n                 calendar clients secret {secret}; {SECOND_REGION}: table {second_table};\n                 directory {directory} in {PRIMARY_REGION})\n  \
         Sent mail      make mail   (latest first; make mail ARGS=--all for every message)\n  \
         DNS records    make dns-records\n\nRoutes:",
        moto = moto.endpoint,
        data = keys.data,
        dkim = keys.dkim,
        secret = provision::LOCAL_CALENDAR_CLIENTS_SECRET,
    );
    for (method, path) in gateway::served_routes() {
        println!("  {method:<6} {path}");
    }
    println!("\nCtrl-C stops the API and moto.\n");

    let platform = Platform::new(located(first.config), first.clients);
    let second_platform = Platform::new(located(second.config), second.clients);
    // What AWS runs beside the API: the stream sender and the scheduled jobs,
    // in each region.
    let _jobs = bookwarden_functions::local::start_jobs(&platform);
    let _second_jobs = bookwarden_functions::local::start_jobs(&second_platform);
    tokio::select! {
        result = gateway::run(listener, platform) => result?,
        result = gateway::run(second_listener, second_platform) => result?,
        _ = tokio::signal::ctrl_c() => println!("\nStopping."),
    }
    drop(moto);
    Ok(())
}
