//! One page of a longer list.

#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Default for Paged<T> {
    fn default() -> Self {
        Paged {
            items: vec![],
            total: 0,
            page: 1,
            per_page: 20,
        }
    }
}

impl<T> Paged<T> {
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page.max(1)).max(1)
    }
    pub fn has_next(&self) -> bool {
        self.page < self.pages()
    }
}
