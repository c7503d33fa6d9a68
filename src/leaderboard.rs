//! Ranking pieces shared by every program: leaderboards with tie-breakers and top-N caps.

use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq)]
pub struct Ranked<T> {
    /// 1-based, never shared.
    pub rank: usize,
    pub item: T,
}

/// Orders `items` best first by `better` (which must end in a unique id so that no two
/// items compare equal) and numbers them 1..N.
pub fn rank<T>(mut items: Vec<T>, better: impl Fn(&T, &T) -> Ordering) -> Vec<Ranked<T>> {
    items.sort_by(&better);
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| Ranked { rank: i + 1, item })
        .collect()
}

/// Keeps the best `n` by `better`; returns (kept, dropped), each best first.
pub fn top_n<T>(
    mut items: Vec<T>,
    n: usize,
    better: impl Fn(&T, &T) -> Ordering,
) -> (Vec<T>, Vec<T>) {
    // The order [`rank`] gives, sorted in place: every partner's sellers, every month.
    items.sort_by(better);
    let dropped = items.split_off(n.min(items.len()));
    (items, dropped)
}

/// `rank 16 of 16, top 15 paid`.
pub fn rank_phrase(rank: usize, of: usize, paid: usize) -> String {
    format!("rank {rank} of {of}, top {paid} paid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_by_metric_then_tie_breakers_then_id() {
        // (id, metric, tie-breaker)
        let items = vec![("b", 5, 1), ("a", 5, 1), ("c", 5, 2), ("d", 9, 0)];
        let ranked = rank(items, |x, y| {
            y.1.cmp(&x.1).then(y.2.cmp(&x.2)).then(x.0.cmp(y.0))
        });
        let order: Vec<_> = ranked.iter().map(|r| (r.rank, r.item.0)).collect();
        assert_eq!(order, vec![(1, "d"), (2, "c"), (3, "a"), (4, "b")]);
    }

    #[test]
    fn top_n_splits() {
        let (kept, dropped) = top_n(vec![3, 1, 2], 2, |a, b| b.cmp(a));
        assert_eq!(kept, vec![3, 2]);
        assert_eq!(dropped, vec![1]);
        let (kept, dropped) = top_n(vec![1], 70, |a: &i32, b| b.cmp(a));
        assert_eq!((kept.len(), dropped.len()), (1, 0));
    }
}
