// A permission cannot be forged: `Granted` has private fields and only `Actor::grant`, which
// checks the role table, makes one.
use lianxin_domain::access::{Actor, Granted, ViewAudit};

fn forge(actor: Actor) -> Granted<ViewAudit> {
    Granted { actor, _p: std::marker::PhantomData }
}

fn main() {
    let _ = forge;
}
