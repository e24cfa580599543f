package guichet

import (
	"bytes"
	"encoding/json"
)

// centsArgKey marks an amount among an outbox message's arguments once written as JSON:
// {"eur_cents": 123450}. A plain number would come back as a float64 and be written as a
// number; marked, it comes back as Cents, which the catalogues write the way each reader's
// language writes amounts ("1 234,50 €", "€1,234.50").
const centsArgKey = "eur_cents"

// outboxPayloadJSON is OutboxPayload without its JSON methods.
type outboxPayloadJSON OutboxPayload

// MarshalJSON writes the payload with its Cents arguments marked (see centsArgKey).
func (p OutboxPayload) MarshalJSON() ([]byte, error) {
	out := outboxPayloadJSON(p)
	if len(p.Args) > 0 {
		out.Args = make(map[string]any, len(p.Args))
		for k, v := range p.Args {
			if c, ok := v.(Cents); ok {
				v = map[string]int64{centsArgKey: int64(c)}
			}
			out.Args[k] = v
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a payload, its marked amounts as Cents and its other numbers as they
// were written: a whole number as an int64 (so that templates compare it with whole numbers,
// as in {{if gt .Revision 1}}, and write 1000000, not 1e+06), any other as a float64.
func (p *OutboxPayload) UnmarshalJSON(data []byte) error {
	var in outboxPayloadJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		return err
	}
	for k, v := range in.Args {
		switch v := v.(type) {
		case json.Number:
			in.Args[k] = number(v)
		case map[string]any:
			if n, ok := v[centsArgKey].(json.Number); ok && len(v) == 1 {
				if c, err := n.Int64(); err == nil {
					in.Args[k] = Cents(c)
				}
			}
		}
	}
	*p = OutboxPayload(in)
	return nil
}

// number is n as an int64 when it is a whole number that fits, as a float64 otherwise.
func number(n json.Number) any {
	if i, err := n.Int64(); err == nil {
		return i
	}
	if f, err := n.Float64(); err == nil {
		return f
	}
	return n.String()
}
