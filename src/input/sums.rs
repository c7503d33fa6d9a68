//! What a run keeps of each seller: only the figures the programs read, in whole cents,
//! with the seller ids of a partner in one sorted list. A platform-wide export holds
//! millions of sellers, so every byte per seller counts; the partner keeps its totals
//! over every window and channel (`PartnerData::total`).

use crate::money::Money;
use crate::window::WindowId;
use std::fmt;

/// A GMV channel: the amount columns of gmv_daily, in file order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Gmv = 0,
    ShortVideo = 1,
    Live = 2,
    Affiliate = 3,
}

/// How many figures a seller keeps.
pub(crate) const FIGURES: usize = 8;

/// The (window, channel) sums the programs read per seller; any other is read from the
/// partner's totals. A program that needs another per seller adds it here (reading one
/// not kept panics in every test that reaches it, rather than paying on a zero).
pub(crate) const SELLER_FIGURES: [(WindowId, Channel); FIGURES] = [
    // GMV growth's table by seller; the BFCM seller challenge.
    (WindowId::Q3, Channel::Gmv),
    (WindowId::Q4, Channel::Gmv),
    (WindowId::Oct, Channel::Gmv),
    (WindowId::Bfcm, Channel::Gmv),
    // The BFCM live board's steps by seller.
    (WindowId::Bfcm, Channel::Live),
    // Affiliate credits: cumulative affiliate GMV by month.
    (WindowId::Oct, Channel::Affiliate),
    (WindowId::Nov, Channel::Affiliate),
    (WindowId::Dec, Channel::Affiliate),
];

/// The index of (window, channel) in `SELLER_FIGURES`.
#[inline]
fn figure_index(window: WindowId, channel: Channel) -> Option<usize> {
    SELLER_FIGURES
        .iter()
        .position(|&(w, c)| w == window && c == channel)
}

/// One seller's sums over the windows the programs read (cut at the evaluation date).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SellerSums {
    cents: [i64; FIGURES],
    /// Every figure, when one is past what `i64` cents hold (a scenario's factors can
    /// get there); `cents` is then unused.
    wide: Option<Box<[i128; FIGURES]>>,
}

impl SellerSums {
    /// Sums of whole cents, in `SELLER_FIGURES` order.
    pub(crate) fn from_cents(figures: [i128; FIGURES]) -> SellerSums {
        let mut cents = [0i64; FIGURES];
        for (narrow, wide) in cents.iter_mut().zip(figures) {
            match i64::try_from(wide) {
                Ok(c) => *narrow = c,
                Err(_) => {
                    return SellerSums {
                        cents: [0; FIGURES],
                        wide: Some(Box::new(figures)),
                    }
                }
            }
        }
        SellerSums { cents, wide: None }
    }

    /// The figures in whole cents, in `SELLER_FIGURES` order.
    pub(crate) fn cents(&self) -> [i128; FIGURES] {
        match &self.wide {
            Some(wide) => **wide,
            None => self.cents.map(i128::from),
        }
    }

    pub fn gmv(&self, window: WindowId) -> Money {
        self.figure(window, Channel::Gmv)
    }

    pub fn short_video(&self, window: WindowId) -> Money {
        self.figure(window, Channel::ShortVideo)
    }

    pub fn live(&self, window: WindowId) -> Money {
        self.figure(window, Channel::Live)
    }

    pub fn affiliate(&self, window: WindowId) -> Money {
        self.figure(window, Channel::Affiliate)
    }

    #[inline]
    fn figure(&self, window: WindowId, channel: Channel) -> Money {
        let i = figure_index(window, channel).unwrap_or_else(|| {
            panic!("sellers keep no {channel:?} sum over {window:?}: add it to SELLER_FIGURES")
        });
        match &self.wide {
            Some(wide) => Money::from_cents_sum(wide[i]),
            None => Money::from_cents(self.cents[i]),
        }
    }
}

impl fmt::Debug for SellerSums {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let figures = SELLER_FIGURES.iter().zip(self.cents());
        f.debug_map()
            .entries(figures.map(|((w, c), cents)| (format!("{w:?} {c:?}"), cents)))
            .finish()
    }
}

/// A partner's sellers by seller_id, in id order: a sorted list (a map's node per seller
/// would cost more than the seller's figures).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Sellers(Vec<(String, SellerSums)>);

/// The sellers in id order, as a map's iterator gives them.
pub type SellersIter<'a> = std::iter::Map<
    std::slice::Iter<'a, (String, SellerSums)>,
    fn(&'a (String, SellerSums)) -> (&'a String, &'a SellerSums),
>;

impl Sellers {
    pub fn iter(&self) -> SellersIter<'_> {
        self.0.iter().map(|(id, sums)| (id, sums))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|(id, _)| id)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &SellerSums> + ExactSizeIterator {
        self.0.iter().map(|(_, sums)| sums)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&SellerSums> {
        self.find(id).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, id: &str) -> bool {
        self.find(id).is_ok()
    }

    fn find(&self, id: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(s, _)| s.as_str().cmp(id))
    }

    /// Adds sellers (ids unique among them); the sums of an id already here are added.
    pub(crate) fn extend(&mut self, mut more: Vec<(String, SellerSums)>) {
        more.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        if self.0.is_empty() {
            self.0 = more;
            return;
        }
        for (id, sums) in more {
            self.add(&id, sums.cents());
        }
    }

    /// Adds figures (in `SELLER_FIGURES` order) to a seller, which is added when new.
    pub(crate) fn add(&mut self, id: &str, figures: [i128; FIGURES]) {
        match self.find(id) {
            Ok(i) => {
                let mut sums = self.0[i].1.cents();
                for (sum, figure) in sums.iter_mut().zip(figures) {
                    *sum += figure;
                }
                self.0[i].1 = SellerSums::from_cents(sums);
            }
            Err(i) => self
                .0
                .insert(i, (id.to_string(), SellerSums::from_cents(figures))),
        }
    }
}

impl<'a> IntoIterator for &'a Sellers {
    type Item = (&'a String, &'a SellerSums);
    type IntoIter = SellersIter<'a>;

    fn into_iter(self) -> SellersIter<'a> {
        self.iter()
    }
}

impl fmt::Debug for Sellers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_past_i64_cents_are_kept_whole() {
        let mut figures = [0i128; FIGURES];
        figures[0] = i128::from(i64::MAX) + 1;
        figures[7] = -5;
        let sums = SellerSums::from_cents(figures);
        assert_eq!(sums.cents(), figures);
        assert_eq!(sums.gmv(WindowId::Q3).plain(), "92233720368547758.08");
        assert_eq!(sums.affiliate(WindowId::Dec).plain(), "-0.05");
        let narrow = SellerSums::from_cents([i128::from(i64::MIN); FIGURES]);
        assert!(narrow.wide.is_none());
        assert_eq!(narrow.live(WindowId::Bfcm).plain(), "-92233720368547758.08");
    }

    #[test]
    #[should_panic(expected = "sellers keep no ShortVideo sum over Q3")]
    fn a_figure_not_kept_is_never_read_as_zero() {
        SellerSums::default().short_video(WindowId::Q3);
    }

    #[test]
    fn sellers_stay_in_id_order_and_add_up() {
        let one = |c: i128| {
            let mut f = [0; FIGURES];
            f[1] = c;
            f
        };
        let mut sellers = Sellers::default();
        sellers.extend(vec![
            ("S2".into(), SellerSums::from_cents(one(2))),
            ("S1".into(), SellerSums::from_cents(one(1))),
        ]);
        sellers.add("S0", one(7));
        sellers.add("S2", one(i128::from(i64::MAX)));
        sellers.extend(vec![("S1".into(), SellerSums::from_cents(one(-1)))]);
        let ids: Vec<&String> = sellers.keys().collect();
        assert_eq!(ids, ["S0", "S1", "S2"]);
        let q4 = |id: &str| sellers.get(id).unwrap().gmv(WindowId::Q4);
        assert_eq!(q4("S0"), Money::from_cents(7));
        assert_eq!(q4("S1"), Money::ZERO);
        assert_eq!(q4("S2"), Money::from_cents_sum(i128::from(i64::MAX) + 2));
        assert!(sellers.contains_key("S1") && !sellers.contains_key("S3"));
        assert_eq!(sellers.len(), 3);
    }
}
