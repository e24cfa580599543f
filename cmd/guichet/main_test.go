package main

import (
	"testing"

	"guichet.dev/guichet/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }
