// The service layer does not hand out the store: its queries are reached only through a
// use case that checked its permission.
use lianxin_service::store::concerns;

fn main() {
    let _ = concerns::by_code;
}
