package guichet

// Kinds of errors the adapters tell apart with errors.Is (see Error.Is), for example to put a
// message next to the dialog field or CSV column it is about. Each matches every *Error with
// its code and message id, whatever its arguments; return Errorf(…) with arguments, never
// these values themselves.
var (
	// ErrNotMember: the actor is not a member of the structure (Access, claims, reminders).
	ErrNotMember = &Error{Code: EFORBIDDEN, MessageID: "ErrNotMember"}
	// ErrNoSupplier: the actor is a member of no structure.
	ErrNoSupplier = &Error{Code: EFORBIDDEN, MessageID: "ErrNoSupplier"}
	// ErrLotFull, ErrLotTaken: nothing left to take on the lot (LotState.Grant).
	ErrLotFull  = &Error{Code: ECONFLICT, MessageID: "ErrLotFull"}
	ErrLotTaken = &Error{Code: ECONFLICT, MessageID: "ErrLotTaken"}
	// ErrClaimNoteTooLong: a claim's note is longer than MaxNoteLength (ClaimNote.Check).
	ErrClaimNoteTooLong = &Error{Code: EINVALID, MessageID: string(ClaimNote)}

	// Supplier.Validate's and ValidSlug's.
	ErrSupplierName = &Error{Code: EINVALID, MessageID: "ErrSupplierName"}
	ErrSlug         = &Error{Code: EINVALID, MessageID: "ErrSlug"}

	// Lot.Validate's, one per field.
	ErrLotCode      = &Error{Code: EINVALID, MessageID: "ErrLotCode"}
	ErrLotTitle     = &Error{Code: EINVALID, MessageID: "ErrLotTitle"}
	ErrCategory     = &Error{Code: EINVALID, MessageID: "ErrCategory"}
	ErrQuantity     = &Error{Code: EINVALID, MessageID: "ErrQuantity"}
	ErrBudget       = &Error{Code: EINVALID, MessageID: "ErrBudget"}
	ErrLotMode      = &Error{Code: EINVALID, MessageID: "ErrLotMode"}
	ErrAwardRule    = &Error{Code: EINVALID, MessageID: "ErrAwardRule"}
	ErrExclusiveMax = &Error{Code: EINVALID, MessageID: "ErrExclusiveMax"}
	ErrMaxSuppliers = &Error{Code: EINVALID, MessageID: "ErrMaxSuppliers"}
	ErrSlot         = &Error{Code: EINVALID, MessageID: "ErrSlot"}

	// An event's creation's, one per field.
	ErrEventExists = &Error{Code: ECONFLICT, MessageID: "ErrEventExists"}
	ErrDate        = &Error{Code: EINVALID, MessageID: "ErrDate"}
	ErrEventName   = &Error{Code: EINVALID, MessageID: "ErrEventName"}
	ErrTimeZone    = &Error{Code: EINVALID, MessageID: "ErrTimeZone"}
	ErrReminders   = &Error{Code: EINVALID, MessageID: "ErrReminders"}
	ErrLocale      = &Error{Code: EINVALID, MessageID: "ErrLocale"}
	ErrTooLong     = &Error{Code: EINVALID, MessageID: "ErrTooLong"}
)
