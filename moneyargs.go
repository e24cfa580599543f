package guichet

import "encoding/json"

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

// UnmarshalJSON reads a payload, its marked amounts as Cents.
func (p *OutboxPayload) UnmarshalJSON(data []byte) error {
	var in outboxPayloadJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	for k, v := range in.Args {
		m, ok := v.(map[string]any)
		if !ok || len(m) != 1 {
			continue
		}
		if n, ok := m[centsArgKey].(float64); ok {
			in.Args[k] = Cents(int64(n))
		}
	}
	*p = OutboxPayload(in)
	return nil
}
