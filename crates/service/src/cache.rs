//! A read cache keyed on the event stream. Every change to the data a read shows appends an
//! event in the same transaction, so the newest event id is an exact version of the data: a
//! cached result computed at version V is served only while the newest event id is still V.
//! One cheap query (`MAX(id)` on the primary key) replaces the several a page needs, nodes
//! stay consistent (the version lives in the database), and nothing stale is ever served.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use crate::Result;

/// Entries kept at most; past that the cache starts afresh (lists are cheap to rebuild).
const MAX_ENTRIES: usize = 2000;

type Entry = (i64, Arc<dyn Any + Send + Sync>);

#[derive(Default)]
pub struct ReadCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl ReadCache {
    fn get<T: Send + Sync + 'static>(&self, key: &str, version: i64) -> Option<Arc<T>> {
        let map = self.entries.lock().ok()?;
        let (v, value) = map.get(key)?;
        if *v != version {
            return None;
        }
        value.clone().downcast::<T>().ok()
    }

    fn put<T: Send + Sync + 'static>(&self, key: String, version: i64, value: Arc<T>) {
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(key, (version, value));
        }
    }
}

tokio::task_local! {
    /// The data version read by the current request, so that its several cached reads (the
    /// session, then a list) cost one version query between them.
    static REQUEST_VERSION: RefCell<Versions>;
}

/// The versions one request has read: (data, organisation).
#[derive(Default, Clone, Copy)]
pub struct Versions {
    data: Option<i64>,
    organisation: Option<i64>,
}

/// Run one request with its own version slot (the web layer wraps every request in this).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn request_scope<F: Future>(f: F) -> F::Output {
    REQUEST_VERSION
        .scope(RefCell::new(Versions::default()), f)
        .await
}

/// Forget the request's version: called after every commit, so a request that writes and
/// then reads sees its own write.
pub fn forget_request_version() {
    let _ = REQUEST_VERSION.try_with(|v| *v.borrow_mut() = Versions::default());
}

impl crate::App {
    /// The current data version: the newest event id (read once per request).
    pub async fn data_version(&self) -> Result<i64> {
        if let Ok(Some(v)) = REQUEST_VERSION.try_with(|v| v.borrow().data) {
            return Ok(v);
        }
        let mut conn = self.db.acquire().await?;
        let v = lianxin_store::journal::head_event_id(&mut conn.conn()).await?;
        let _ = REQUEST_VERSION.try_with(|slot| slot.borrow_mut().data = Some(v));
        Ok(v)
    }

    /// The organisation's version (read once per request): it moves with changes to the
    /// organisation, categories and rules — not with the busy stream of concerns.
    pub async fn organisation_version(&self) -> Result<i64> {
        if let Ok(Some(v)) = REQUEST_VERSION.try_with(|v| v.borrow().organisation) {
            return Ok(v);
        }
        let mut conn = self.db.acquire().await?;
        let v = lianxin_store::journal::organisation_version(&mut conn.conn()).await?;
        let _ = REQUEST_VERSION.try_with(|slot| slot.borrow_mut().organisation = Some(v));
        Ok(v)
    }

    /// Like [`App::cached`] for data that only the organisation's changes affect.
    pub async fn cached_organisation<T, F, Fut>(&self, key: String, compute: F) -> Result<Arc<T>>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let version = self.organisation_version().await?;
        let key = format!("org|{key}");
        if let Some(hit) = self.cache.get::<T>(&key, version) {
            return Ok(hit);
        }
        let value = Arc::new(compute().await?);
        self.cache.put(key, version, value.clone());
        Ok(value)
    }

    /// `compute()`'s result for `key`, reused while no event has been written since.
    pub async fn cached<T, F, Fut>(&self, key: String, compute: F) -> Result<Arc<T>>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let version = self.data_version().await?;
        if let Some(hit) = self.cache.get::<T>(&key, version) {
            return Ok(hit);
        }
        let value = Arc::new(compute().await?);
        self.cache.put(key, version, value.clone());
        Ok(value)
    }
}
