// Package jsonerr rewrites encoding/json's decoding errors in the terms of
// the file being read: encoding/json names Go types ("cannot unmarshal
// string into Go struct field runSpec.epochs of type int"), which tells a
// user nothing about their run.json or model config. Explain says "epochs:
// expected an integer, found a JSON string" instead. (The field path is
// json's: it leaves out list indexes, so for a list's element the message
// names the list and the element's expected type.)
package jsonerr

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Explain returns err reworded when it is a JSON type or syntax error, and
// err itself otherwise (nil stays nil).
func Explain(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := "a value of another type"
		if te.Type != nil {
			want = describe(te.Type, false)
		}
		if te.Field == "" {
			return fmt.Errorf("expected %s, found a JSON %s", want, te.Value)
		}
		return fmt.Errorf("%s: expected %s, found a JSON %s", te.Field, want, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, se)
	}
	return err
}

// describe names what JSON a Go type accepts: "an integer", "a list of
// numbers", "an object"; plural for the elements of a list.
func describe(t reflect.Type, plural bool) string {
	pick := func(one, many string) string {
		if plural {
			return many
		}
		return one
	}
	switch t.Kind() {
	case reflect.Pointer:
		return describe(t.Elem(), plural)
	case reflect.Bool:
		return pick("true or false", "booleans")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return pick("an integer", "integers")
	case reflect.Float32, reflect.Float64:
		return pick("a number", "numbers")
	case reflect.String:
		return pick("a string", "strings")
	case reflect.Slice, reflect.Array:
		return pick("a list of ", "lists of ") + describe(t.Elem(), true)
	case reflect.Map, reflect.Struct:
		return pick("an object", "objects")
	}
	return pick("a value of another type", "values of other types")
}
