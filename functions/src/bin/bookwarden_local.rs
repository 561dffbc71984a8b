//! `make dev`: the whole API on http://127.0.0.1:3000 against a local moto.
//!
//! Starts moto (serialised), provisions the table, keys, calendar clients
//! secret and SES identity as template.yaml does, then serves every route from the in-process handlers.
//! Ctrl-C stops everything; moto exits with this process in any case.

use bookwarden_functions::local::{gateway, moto::MotoServer, provision, sdk_config};
use bookwarden_shared::aws::Clients;
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
    let clients = Clients::from_sdk_config(&sdk_config(&moto.endpoint));
    let table = "bookwarden-data";
    provision::create_storage(&clients, table).await?;
    let keys = provision::create_keys(&clients, "bookwarden").await?;
    provision::create_calendar_clients_secret(&clients, &keys).await?;
    let config = provision::local_config(table, &keys, &format!("http://127.0.0.1:{port}"));
    provision::create_identity(&clients, &config.mail_domain).await?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;

    println!(
        "\nBookwarden is running.\n\n  API            http://127.0.0.1:{port}   (try: curl -i http://127.0.0.1:{port}/health)\n  \
         Pages          http://127.0.0.1:{port}/book/<slug>   (a business's booking page; emailed links open here too)\n  \
         AWS stand-in   {moto}   (moto; table {table}, keys {data} and {dkim},\n                 calendar clients secret {secret})\n  \
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

    let platform = Platform::new(config, clients);
    // What AWS runs beside the API: the stream sender and the reminder job.
    let _jobs = bookwarden_functions::local::start_jobs(&platform);
    tokio::select! {
        result = gateway::run(listener, platform) => result?,
        _ = tokio::signal::ctrl_c() => println!("\nStopping."),
    }
    drop(moto);
    Ok(())
}
