//! `make template`: prints the route table as JSON for infra/template/generate.py.

fn main() {
    println!("{}", bookwarden_functions::routes::table_json());
}
