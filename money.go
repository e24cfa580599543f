package guichet

import (
	"strconv"
	"strings"
)

// Cents is an amount of money in euro cents. Money is never held in floating point.
type Cents int64

// ParseEuros reads an amount written the way French people write euros: "1 234,50",
// "1234.5", "1 234 €", "960". Spaces (also non-breaking and narrow) group thousands; a comma or
// a dot separates at most two decimal digits. Negative amounts and fractions of a cent are
// refused with an EINVALID error naming the text.
func ParseEuros(s string) (Cents, error) {
	orig := s
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "€")
	s = strings.TrimSuffix(strings.TrimSpace(s), "EUR")
	var b strings.Builder
	for _, r := range s {
		switch r {
		case ' ', '\u00a0', '\u202f', '\t':
			continue
		}
		b.WriteRune(r)
	}
	s = b.String()
	bad := Errorf(EINVALID, "ErrAmount", "Value", orig)
	if s == "" || len(s) > 18 {
		return 0, bad
	}
	intPart, frac := s, ""
	if i := strings.LastIndexAny(s, ",."); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
		if len(frac) > 2 {
			return 0, Errorf(EINVALID, "ErrAmountCents", "Value", orig)
		}
		if frac == "" {
			return 0, bad
		}
	}
	if intPart == "" {
		intPart = "0"
	}
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return 0, bad
		}
	}
	euros, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || euros > 1_000_000_000 {
		return 0, bad
	}
	for len(frac) < 2 {
		frac += "0"
	}
	cents, _ := strconv.ParseInt(frac, 10, 64)
	return Cents(euros*100 + cents), nil
}

// String writes the amount the French way: "1 234,50 €" (narrow no-break space between groups,
// no-break space before the sign).
func (c Cents) String() string {
	neg := c < 0
	if neg {
		c = -c
	}
	euros := strconv.FormatInt(int64(c)/100, 10)
	var b strings.Builder
	if neg {
		b.WriteString("-")
	}
	for i, r := range euros {
		if i > 0 && (len(euros)-i)%3 == 0 {
			b.WriteRune('\u202f')
		}
		b.WriteRune(r)
	}
	cents := int64(c) % 100
	b.WriteString(",")
	if cents < 10 {
		b.WriteString("0")
	}
	b.WriteString(strconv.FormatInt(cents, 10))
	b.WriteString("\u00a0€")
	return b.String()
}

// SplitLargestRemainder splits total over weights in proportion, rounding by the
// largest-remainder rule so that the parts add up to total exactly. Ties go to the earlier
// weight. It returns nil when the weights sum to zero. Weights must not be negative.
func SplitLargestRemainder(total Cents, weights []int64) []Cents {
	var sum int64
	for _, w := range weights {
		sum += w
	}
	if sum <= 0 {
		return nil
	}
	parts := make([]Cents, len(weights))
	rems := make([]int64, len(weights))
	var given Cents
	for i, w := range weights {
		// total*w may overflow int64 only above 92 billion euros × quantity; amounts are bounded
		// by ParseEuros and quantities by ValidateLot.
		p := int64(total) * w
		parts[i] = Cents(p / sum)
		rems[i] = p % sum
		given += parts[i]
	}
	for left := total - given; left > 0; left-- {
		best := -1
		for i := range rems {
			if rems[i] >= 0 && (best < 0 || rems[i] > rems[best]) {
				best = i
			}
		}
		parts[best]++
		rems[best] = -1
	}
	return parts
}
