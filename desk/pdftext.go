package desk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// PDFText reads pdf back as a person would read it, with pdftotext (Debian package
// poppler-utils): laid out as printed (-layout) when layout is set, in reading order otherwise;
// narrow and ordinary no-break spaces become plain spaces, so that amounts compare with text
// written with spaces. It fails on an empty pdf, when pdftotext is missing (naming the package
// to install) or when it cannot read the file.
func PDFText(ctx context.Context, pdf []byte, layout bool) (string, error) {
	if len(pdf) == 0 {
		return "", errors.New("desk: no PDF to read")
	}
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		return "", fmt.Errorf("pdftotext is needed to read documents back (Debian package poppler-utils): %w", err)
	}
	args := []string{"-", "-"}
	if layout {
		args = append([]string{"-layout"}, args...)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("pdftotext: %w", err)
	}
	return strings.NewReplacer("\u202f", " ", "\u00a0", " ").Replace(string(out)), nil
}
