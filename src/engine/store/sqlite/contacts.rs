//! Contacts: each one's store blob (the contact record and its loyalty state), with
//! the email and phone it is matched by.
//!
//! In: a workspace and an id, email or phone; a blob to write. Out: [`ContactRow`]s.
//! [`insert_contact`] and [`save_contact`] are writes for the group commit (`hot.rs`).

use rusqlite::{Connection, OptionalExtension, params};

use super::{ContactRow, Sqlite, StoreError};

impl Sqlite {
    /// The contact matched by id, then email, then phone.
    pub fn find_contact(
        &self,
        workspace: &str,
        id: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<Option<ContactRow>, StoreError> {
        let conn = self.lock()?;
        for (column, value) in [("id", id), ("email", email), ("phone", phone)] {
            let Some(value) = value else { continue };
            let sql = format!("SELECT id, data FROM contacts WHERE workspace = ?1 AND {column} = ?2 LIMIT 1");
            let row = conn
                .prepare_cached(&sql)?
                .query_row(params![workspace, value], |r| Ok(ContactRow { id: r.get(0)?, data: r.get(1)? }))
                .optional()?;
            if row.is_some() {
                return Ok(row);
            }
        }
        Ok(None)
    }

    pub fn contact(&self, workspace: &str, id: &str) -> Result<Option<ContactRow>, StoreError> {
        self.find_contact(workspace, Some(id), None, None)
    }
}

/// Stores a new contact; one that exists already (created meanwhile) is kept as it is.
pub(super) fn insert_contact(
    tx: &Connection,
    workspace: &str,
    id: &str,
    email: Option<&str>,
    phone: Option<&str>,
    data: &str,
) -> Result<(), StoreError> {
    write_contact(tx, (workspace, id, email, phone, data), "DO NOTHING")
}

/// Saves a contact's blob (inserting it when new).
pub(super) fn save_contact(
    tx: &Connection,
    workspace: &str,
    id: &str,
    email: Option<&str>,
    phone: Option<&str>,
    data: &str,
) -> Result<(), StoreError> {
    write_contact(tx, (workspace, id, email, phone, data), "DO UPDATE SET email = ?3, phone = ?4, data = ?5")
}

type ContactColumns<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, &'a str);

fn write_contact(tx: &Connection, row: ContactColumns<'_>, on_conflict: &str) -> Result<(), StoreError> {
    let (workspace, id, email, phone, data) = row;
    tx.prepare_cached(&format!(
        "INSERT INTO contacts (workspace, id, email, phone, data) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(workspace, id) {on_conflict}"
    ))?
    .execute(params![workspace, id, email, phone, data])?;
    Ok(())
}
