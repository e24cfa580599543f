package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// watch holds what Mattermost pushes to one person over their own WebSocket, as the web app
// receives it: the dialogs the bot opens for them (open_dialog) and the private replies to
// their clicks (ephemeral_message).
type watch struct {
	ws      *model.WebSocketClient
	mu      sync.Mutex
	events  []*model.WebSocketEvent
	changed chan struct{}
	closed  bool
	done    chan struct{}
}

// openWatch connects a WebSocket with the person's session token and returns once the server
// greeted it, so that whatever happens next is seen.
func openWatch(ctx context.Context, mattermostURL, token string) (*watch, error) {
	ws, err := model.NewWebSocketClient4(strings.Replace(mattermostURL, "http", "ws", 1), token)
	if err != nil {
		return nil, err
	}
	ws.Listen()
	w := &watch{ws: ws, changed: make(chan struct{}), done: make(chan struct{})}
	go w.drain()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := w.wait(ctx, 0, func(ev *model.WebSocketEvent) bool { return ev.EventType() == model.WebsocketEventHello }); err != nil {
		w.close()
		return nil, fmt.Errorf("no greeting on the WebSocket: %w", err)
	}
	return w, nil
}

func (w *watch) drain() {
	defer w.close()
	for {
		select {
		case ev, ok := <-w.ws.EventChannel:
			if !ok {
				return
			}
			w.mu.Lock()
			if w.closed {
				w.mu.Unlock()
				return
			}
			w.events = append(w.events, ev)
			close(w.changed)
			w.changed = make(chan struct{})
			w.mu.Unlock()
		case _, ok := <-w.ws.ResponseChannel:
			if !ok {
				return
			}
		case <-w.ws.PingTimeoutChannel:
			return
		case <-w.done:
			return
		}
	}
}

// close closes the WebSocket; closing twice does nothing.
func (w *watch) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.closed = true
	close(w.done)
	close(w.changed)
	w.ws.Close()
}

// mark returns the position of the next event: wait(ctx, mark, …) sees only what comes after.
func (w *watch) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.events)
}

var errWatchClosed = errors.New("the WebSocket closed")

// wait returns the first event from position from on that matches, waiting until ctx ends.
func (w *watch) wait(ctx context.Context, from int, match func(*model.WebSocketEvent) bool) (*model.WebSocketEvent, error) {
	for {
		w.mu.Lock()
		for _, ev := range w.events[min(from, len(w.events)):] {
			if match(ev) {
				w.mu.Unlock()
				return ev, nil
			}
		}
		changed, closed := w.changed, w.closed
		w.mu.Unlock()
		if closed {
			return nil, errWatchClosed
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// dialog waits for a dialog with that callback id opened after from.
func (w *watch) dialog(ctx context.Context, from int, callbackID string) (*model.OpenDialogRequest, error) {
	var d *model.OpenDialogRequest
	_, err := w.wait(ctx, from, func(ev *model.WebSocketEvent) bool {
		if ev.EventType() != model.WebsocketEventOpenDialog {
			return false
		}
		raw, _ := ev.GetData()["dialog"].(string)
		var got model.OpenDialogRequest
		if json.Unmarshal([]byte(raw), &got) != nil || got.Dialog.CallbackId != callbackID {
			return false
		}
		d = &got
		return true
	})
	return d, err
}

// ephemeral waits for a private reply in the channel received after from.
func (w *watch) ephemeral(ctx context.Context, from int, channelID string) (*model.Post, error) {
	var p *model.Post
	_, err := w.wait(ctx, from, func(ev *model.WebSocketEvent) bool {
		if ev.EventType() != model.WebsocketEventEphemeralMessage {
			return false
		}
		raw, _ := ev.GetData()["post"].(string)
		var got model.Post
		if json.Unmarshal([]byte(raw), &got) != nil || got.ChannelId != channelID {
			return false
		}
		p = &got
		return true
	})
	return p, err
}
