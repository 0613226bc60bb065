//! One list makes a catalog table and its typed id: [`catalog_table!`].
//!
//! In: the id type's name, the table's name and spec type, and one entry per item
//! (`Variant { fields… }`). Out: a `Copy` enum with one variant per entry (in the
//! table's order), the `static` table of specs (each with its `id` filled in), and
//! `Id::ALL`, `Id::COUNT` and `Id::spec()`. The enum and the table cannot disagree:
//! both come from the same list, and each variant's spec is found at a constant index
//! the compiler checks, so a lookup by id is infallible.

/// Declares `pub enum $id`, `pub static $table: [$spec; $id::COUNT]` and
/// `impl $id { ALL, COUNT, spec() }` from one list of entries.
macro_rules! catalog_table {
    (
        $(#[$id_meta:meta])*
        pub enum $id:ident;
        $(#[$table_meta:meta])*
        pub static $table:ident: [$spec:ident];
        $( $(#[$variant_meta:meta])* $variant:ident { $($field:tt)* } ),* $(,)?
    ) => {
        $(#[$id_meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $id {
            $( $(#[$variant_meta])* $variant, )*
        }

        $(#[$table_meta])*
        pub static $table: [$spec; $id::COUNT] = [
            $( $spec { id: $id::$variant, $($field)* }, )*
        ];

        impl $id {
            /// Every id, in the table's order.
            pub const ALL: [$id; $id::COUNT] = [ $( $id::$variant, )* ];

            /// How many there are.
            pub const COUNT: usize = [ $( $id::$variant, )* ].len();

            /// The id's entry of the table.
            pub fn spec(self) -> &'static $spec {
                match self {
                    // A constant index into an array: out of bounds would not compile.
                    $( $id::$variant => {
                        const INDEX: usize = $id::$variant as usize;
                        &$table[INDEX]
                    } )*
                }
            }
        }
    };
}

pub(crate) use catalog_table;
