//go:build !amd64 || purego

package kernels

// Without the assembly the GELU and softmax-row kernels are their Go twins.

const actAVX2 = false

func actGELUFwd(y, x []float32)                            { geluFwdGo(y, x) }
func actGELUBwd(dx, dy, x []float32)                       { geluBwdGo(dx, dy, x) }
func actGELUTanhFwd(y, x []float32)                        { geluTanhFwdGo(y, x) }
func actGELUTanhBwd(dx, dy, x []float32)                   { geluTanhBwdGo(dx, dy, x) }
func actMax(x []float32) float32                           { return maxGo(x) }
func actExpSubSum(y, x []float32, m float32) float32       { return expSubSumGo(y, x, m) }
func actScale(y []float32, s float32)                      { scaleGo(y, s) }
func actDot(a, b []float32) float32                        { return dotGo(a, b) }
func actSoftmaxBwd(dx, dy, y []float32, dot float32)       { softmaxBwdGo(dx, dy, y, dot) }
func actLogSoftmaxBwd(dx, dy, y []float32, s float32)      { logSoftmaxBwdGo(dx, dy, y, s) }
func actScaleShift(dst, x []float32, scale, shift float32) { scaleShiftGo(dst, x, scale, shift) }
func actBinary(op BinaryOp, dst, a, b []float32) bool      { return false }
