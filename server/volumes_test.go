package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/berth/berth/volume"
	volumetypes "github.com/moby/moby/api/types/volume"
)

func TestVolumeEndpoints(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := volume.New(t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Backends{Volumes: store}, "test", log)
	req := func(method, path, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		return rec
	}
	rec := req(http.MethodPost, "/v1.47/volumes/create", `{"Name":"data","Labels":{"a":"b"}}`)
	var v volumetypes.Volume
	if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &v) != nil || v.Name != "data" || v.Scope != "local" {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	if rec := req(http.MethodPost, "/volumes/create", `{"Name":"a b"}`); rec.Code != http.StatusBadRequest {
		t.Errorf("bad name: %d %s", rec.Code, rec.Body)
	}
	if err := store.Ref("data", "c1"); err != nil {
		t.Fatal(err)
	}
	if rec := req(http.MethodDelete, "/volumes/data?force=1", ""); rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "volume is in use - [c1]") {
		t.Errorf("remove in use: %d %s", rec.Code, rec.Body)
	}
	f := url.QueryEscape(`{"dangling":{"false":true}}`)
	rec = req(http.MethodGet, "/volumes?filters="+f, "")
	var list volumetypes.ListResponse
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &list) != nil || len(list.Volumes) != 1 || list.Warnings == nil {
		t.Errorf("list: %d %s", rec.Code, rec.Body)
	}
	store.Unref("data", "c1")
	if rec := req(http.MethodGet, "/volumes/data", ""); rec.Code != 200 {
		t.Errorf("inspect: %d %s", rec.Code, rec.Body)
	}
	if rec := req(http.MethodPost, "/volumes/prune?filters="+url.QueryEscape(`{"all":["true"]}`), ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"VolumesDeleted":["data"]`) {
		t.Errorf("prune: %d %s", rec.Code, rec.Body)
	}
	if rec := req(http.MethodDelete, "/volumes/data", ""); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "get data: no such volume") {
		t.Errorf("remove missing: %d %s", rec.Code, rec.Body)
	}
	if rec := req(http.MethodDelete, "/volumes/data?force=true", ""); rec.Code != http.StatusNoContent {
		t.Errorf("force remove missing: %d %s", rec.Code, rec.Body)
	}
}
