// The web crate does not depend on the store crate at all.
use lianxin_store::Db;

fn main() {
    let _: Option<Db> = None;
}
