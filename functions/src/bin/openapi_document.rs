//! `make openapi`: prints the API's OpenAPI 3.1 document (docs/openapi.json).

fn main() {
    println!("{}", bookwarden_functions::openapi::json());
}
