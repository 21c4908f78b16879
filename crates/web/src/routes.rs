//! The route table. Every route is registered through [`Routes`], which keeps the list of
//! (method, path) beside the axum router it builds: the permission matrix test and the
//! OpenAPI test walk this real list, so a new route without a row in the matrix fails a test
//! instead of going unchecked. (axum's router cannot list its routes.)

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::MethodRouter;

use crate::State;

/// The handlers of one path, with the methods they answer.
pub struct Methods {
    router: MethodRouter<State>,
    methods: Vec<&'static str>,
}

macro_rules! method {
    ($name:ident, $code:literal) => {
        /// A route answering this method with `handler`.
        pub fn $name<H, T>(handler: H) -> Methods
        where
            H: Handler<T, State>,
            T: 'static,
        {
            Methods {
                router: axum::routing::$name(handler),
                methods: vec![$code],
            }
        }

        impl Methods {
            /// Answer this method too, with `handler`.
            pub fn $name<H, T>(mut self, handler: H) -> Methods
            where
                H: Handler<T, State>,
                T: 'static,
            {
                self.router = self.router.$name(handler);
                self.methods.push($code);
                self
            }
        }
    };
}

method!(get, "GET");
method!(post, "POST");
method!(put, "PUT");
method!(patch, "PATCH");
method!(delete, "DELETE");

impl Methods {
    /// A larger body limit for this path (uploads).
    pub fn layer(mut self, limit: DefaultBodyLimit) -> Methods {
        self.router = self.router.layer(limit);
        self
    }
}

/// A router and the list of what it routes.
#[derive(Default)]
pub struct Routes {
    router: Router<State>,
    table: Vec<(&'static str, &'static str)>,
}

impl Routes {
    pub fn new() -> Routes {
        Routes::default()
    }

    pub fn route(mut self, path: &'static str, m: Methods) -> Routes {
        self.table
            .extend(m.methods.iter().map(|method| (*method, path)));
        self.router = self.router.route(path, m.router);
        self
    }

    pub fn merge(mut self, other: Routes) -> Routes {
        self.table.extend(other.table);
        self.router = self.router.merge(other.router);
        self
    }

    /// (method, path template) of every route, in registration order.
    pub fn table(&self) -> &[(&'static str, &'static str)] {
        &self.table
    }

    pub fn into_router(self) -> Router<State> {
        self.router
    }
}
