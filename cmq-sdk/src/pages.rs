//! List actions as a `Stream` of items that pages by `offset` and `totalCount`.

use futures_util::Stream;
use futures_util::stream;

use crate::{Client, Error, Operation};

/// A list action: its request can be positioned on a page, its answer split into the total and
/// the page's items. Implemented by the generated `List…Input` types.
pub trait Paginated: Operation {
    /// One listed item.
    type Item: Send + 'static;
    /// Positions the request on a page.
    fn set_page(&mut self, offset: i64, limit: i64);
    /// The requested page size, if set.
    fn page_limit(&self) -> Option<i64>;
    /// The requested offset, if set.
    fn page_offset(&self) -> Option<i64>;
    /// Splits an answer into `totalCount` and the items.
    fn split(out: Self::Output) -> (i64, Vec<Self::Item>);
}

/// The page size [`Client::paginate`] asks for when the request sets none: the largest page the
/// action allows ([`Paging::max_limit`](crate::constraints::Paging::max_limit) of
/// [`Action::paging`](crate::Action::paging), from the spec: 50 for ListQueue, 100 for
/// ListSubscriptionByTopic, …). `None` for an action that does not page.
pub fn default_page_size(action: crate::Action) -> Option<i64> {
    action.paging().map(|p| p.max_limit)
}

impl Client {
    /// Every item of a list action, fetched page by page (starting at the request's offset,
    /// with its limit or the largest page the action allows, [`default_page_size`]), until
    /// `totalCount` items were seen or a page comes back empty. Stops after the first error,
    /// which it yields.
    pub fn paginate<P: Paginated>(
        &self,
        input: P,
    ) -> impl Stream<Item = Result<P::Item, Error>> + Send + 'static {
        let paging = P::ACTION.paging();
        let limit = input
            .page_limit()
            .filter(|l| *l > 0)
            .or_else(|| default_page_size(P::ACTION))
            .unwrap_or(1); // every `Paginated` action pages (the generator ties the two)
        let offset = input
            .page_offset()
            .or(paging.map(|p| p.default_offset))
            .unwrap_or(0);
        page_stream(
            self.clone(),
            input,
            offset,
            limit,
            P::set_page,
            |client: Client, input: P| async move { client.execute(input).await.map(P::split) },
        )
    }
}

/// The paging loop both APIs share: positions `input` on the page at `offset` (`set_page`),
/// fetches it, yields its items, moves on by their count, and stops at an empty page, once
/// `total` items were seen, or after the first error (which it yields).
pub(crate) fn page_stream<I, T, S, F, Fut>(
    client: Client,
    input: I,
    offset: i64,
    limit: i64,
    set_page: S,
    fetch: F,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    I: Clone + Send + 'static,
    T: Send + 'static,
    S: Fn(&mut I, i64, i64) + Copy + Send + 'static,
    F: Fn(Client, I) -> Fut + Copy + Send + 'static,
    Fut: std::future::Future<Output = Result<(i64, Vec<T>), Error>> + Send,
{
    let state = (client, input, offset, Vec::<T>::new().into_iter(), false);
    stream::unfold(
        state,
        move |(client, mut input, offset, mut buf, done)| async move {
            if let Some(item) = buf.next() {
                return Some((Ok(item), (client, input, offset, buf, done)));
            }
            if done {
                return None;
            }
            set_page(&mut input, offset, limit);
            match fetch(client.clone(), input.clone()).await {
                Err(e) => Some((Err(e), (client, input, offset, buf, true))),
                Ok((total, items)) => {
                    let got = i64::try_from(items.len()).unwrap_or(i64::MAX);
                    let next = offset.saturating_add(got);
                    let finished = got == 0 || next >= total;
                    let mut it = items.into_iter();
                    it.next()
                        .map(|first| (Ok(first), (client, input, next, it, finished)))
                }
            }
        },
    )
}
