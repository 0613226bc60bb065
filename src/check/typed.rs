//! The typed program: the type the checker inferred for every expression.
//!
//! In: the types [`Env`](super::env::Env) records while it checks one item (a workflow
//! or a test), by [`ExprNodeId`]. Out: [`ProgramTypes`], every item's types by
//! [`ItemId`], part of the checker's [`Program`](super::Program). IR lowering and the
//! language server's hover read them from there: nothing checks a program again to
//! learn its types, and nothing looks a type up by span (two nodes may share one).

use std::collections::HashMap;

use super::types::Type;
use crate::source::FileId;
use crate::syntax::ast::ExprNodeId;

/// An item of the checked files: its file and its position among the file's items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ItemId {
    pub file: FileId,
    pub index: usize,
}

/// The type of each expression of one item, by node id (ids are dense per item).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExprTypes(Vec<Option<Type>>);

impl ExprTypes {
    /// The type recorded for expression `id`, if it was checked.
    pub fn get(&self, id: ExprNodeId) -> Option<&Type> {
        self.0.get(id.index()).and_then(Option::as_ref)
    }

    /// Records `ty` for expression `id`, over what was recorded before.
    pub fn set(&mut self, id: ExprNodeId, ty: Type) {
        if let Some(slot) = self.slot(id) {
            *slot = Some(ty);
        }
    }

    /// Records `ty()` for expression `id` unless it has a type already.
    pub fn set_if_absent(&mut self, id: ExprNodeId, ty: impl FnOnce() -> Type) {
        if let Some(slot) = self.slot(id) {
            slot.get_or_insert_with(ty);
        }
    }

    /// Every expression with a recorded type.
    pub fn iter(&self) -> impl Iterator<Item = (ExprNodeId, &Type)> {
        self.0.iter().zip(0u32..).filter_map(|(ty, id)| ty.as_ref().map(|ty| (ExprNodeId(id), ty)))
    }

    /// The slot of `id`, grown into (`None` only for an id past `u32`'s range).
    fn slot(&mut self, id: ExprNodeId) -> Option<&mut Option<Type>> {
        let index = id.index();
        if index >= self.0.len() {
            let len = index.checked_add(1)?;
            self.0.resize(len, None);
        }
        self.0.get_mut(index)
    }
}

/// Every checked item's expression types.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProgramTypes(HashMap<ItemId, ExprTypes>);

impl ProgramTypes {
    /// The types of one item's expressions (`None` if the item was not checked).
    pub fn item(&self, item: ItemId) -> Option<&ExprTypes> {
        self.0.get(&item)
    }

    pub fn insert(&mut self, item: ItemId, types: ExprTypes) {
        self.0.insert(item, types);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_overwrites_and_set_if_absent_does_not() {
        let mut types = ExprTypes::default();
        types.set(ExprNodeId(2), Type::Int);
        types.set_if_absent(ExprNodeId(2), || Type::String);
        types.set_if_absent(ExprNodeId(0), || Type::Bool);
        assert_eq!(types.get(ExprNodeId(2)), Some(&Type::Int));
        assert_eq!(types.get(ExprNodeId(1)), None);
        assert_eq!(types.get(ExprNodeId(9)), None);
        types.set(ExprNodeId(2), Type::Float);
        let all: Vec<(ExprNodeId, &Type)> = types.iter().collect();
        assert_eq!(all, vec![(ExprNodeId(0), &Type::Bool), (ExprNodeId(2), &Type::Float)]);
    }
}
