// A handler holds the app; the app's database handle is private to the service layer.
async fn handler(state: lianxin_web::State) {
    let _conn = state.app.db.acquire().await;
}

fn main() {
    let _ = handler;
}
