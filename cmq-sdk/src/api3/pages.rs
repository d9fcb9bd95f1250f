//! API 3.0 list actions as a `Stream` of items that pages by `Offset`/`Limit` and `TotalCount`.

use futures_util::Stream;

use super::Api3Operation;
use crate::constraints::Paging;
use crate::{Client, Error};

/// An API 3.0 list action: its request can be positioned on a page, its answer split into the
/// total and the page's items. Implemented by the generated `DescribeCmq…Request` list types.
pub trait Paginated3: Api3Operation + Clone {
    /// One listed item.
    type Item: Send + 'static;
    /// How the action pages (its offset and limit parameters, defaults and largest page).
    const PAGING: Paging;
    /// Positions the request on a page.
    fn set_page(&mut self, offset: i64, limit: i64);
    /// The requested page size, if set.
    fn page_limit(&self) -> Option<i64>;
    /// The requested offset, if set.
    fn page_offset(&self) -> Option<i64>;
    /// Splits an answer into `TotalCount` and the items.
    fn split(out: Self::Output) -> (i64, Vec<Self::Item>);
}

impl Client {
    /// Every item of an API 3.0 list action, fetched page by page (from the request's offset,
    /// with its limit or the action's largest page), until `TotalCount` items were seen or a
    /// page comes back empty. Stops after the first error, which it yields.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// use cmq_sdk::generated::v3::ops::DescribeCmqQueuesRequest;
    /// use futures_util::TryStreamExt;
    /// let names: Vec<String> = client
    ///     .paginate_api3(DescribeCmqQueuesRequest::new().queue_name("ord"))
    ///     .map_ok(|q| q.queue_name)
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn paginate_api3<P: Paginated3>(
        &self,
        input: P,
    ) -> impl Stream<Item = Result<P::Item, Error>> + Send + 'static {
        let limit = input
            .page_limit()
            .filter(|l| *l > 0)
            .unwrap_or(P::PAGING.max_limit);
        let offset = input.page_offset().unwrap_or(P::PAGING.default_offset);
        crate::pages::page_stream(
            self.clone(),
            input,
            offset,
            limit,
            P::set_page,
            |client: Client, input: P| async move { client.execute_api3(input).await.map(P::split) },
        )
    }
}
