//! The pages' static files, compiled into the binary and served under names
//! that carry their content hash, so browsers and CDNs may keep them for a
//! year without ever asking again, and a new release is a new name.

use std::sync::OnceLock;

use bookwarden_shared::http::{PagePolicy, Problem, RequestMeta};
use bookwarden_shared::Platform;
use lambda_http::{Body, Request, Response};

use crate::handlers::{path_param, Outcome};

/// One static file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asset {
    /// The one stylesheet.
    Css,
    /// The one script.
    Js,
    /// The page icon.
    Icon,
}

const ALL: [Asset; 3] = [Asset::Css, Asset::Js, Asset::Icon];

impl Asset {
    fn source(self) -> &'static str {
        match self {
            Asset::Css => include_str!("../../assets/app.css"),
            Asset::Js => include_str!("../../assets/app.js"),
            Asset::Icon => include_str!("../../assets/icon.svg"),
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Asset::Css => "text/css; charset=utf-8",
            Asset::Js => "text/javascript; charset=utf-8",
            Asset::Icon => "image/svg+xml; charset=utf-8",
        }
    }

    fn stem_and_extension(self) -> (&'static str, &'static str) {
        match self {
            Asset::Css => ("app", "css"),
            Asset::Js => ("app", "js"),
            Asset::Icon => ("icon", "svg"),
        }
    }
}

/// `/assets/<stem>.<first 16 hex of SHA-256>.<extension>` of each asset,
/// computed once per process.
fn urls() -> &'static [String; 3] {
    static URLS: OnceLock<[String; 3]> = OnceLock::new();
    URLS.get_or_init(|| {
        ALL.map(|a| {
            let (stem, ext) = a.stem_and_extension();
            let hash = bookwarden_shared::crypto::sha256_hex(a.source().as_bytes());
            format!("/assets/{stem}.{}.{ext}", &hash[..16])
        })
    })
}

/// The address of an asset.
pub fn url(asset: Asset) -> &'static str {
    let index = ALL.iter().position(|a| *a == asset).unwrap_or(0);
    &urls()[index]
}

/// `GET /assets/{name}`: an asset by its hashed name; anything else, an old
/// hash included, is 404.
pub async fn get(_p: &Platform, req: &Request, _meta: &RequestMeta) -> Outcome {
    let name = path_param(req, "name")?;
    let asset = ALL
        .into_iter()
        .find(|a| url(*a).strip_prefix("/assets/") == Some(name.as_str()))
        .ok_or(Problem::NotFound)?;
    let mut response = Response::new(Body::Text(asset.source().to_owned()));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(asset.content_type()),
    );
    response.extensions_mut().insert(PagePolicy::ImmutableAsset);
    Ok(response)
}
