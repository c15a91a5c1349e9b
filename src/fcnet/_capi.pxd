# Declarations of the C core's API (csrc/fcnet.h, csrc/fcnet_api.h), for the
# bridge _core.pyx. Only prototypes here; see the headers for shapes.
from libc.stdint cimport int64_t, uint64_t


cdef extern from "fcnet.h" nogil:
    cdef enum fcn_activation:
        FCN_IDENTITY
        FCN_LOGISTIC
        FCN_TANH
        FCN_RELU
        FCN_SOFTMAX
        FCN_EXP

    cdef enum fcn_loss:
        FCN_SQUARED_ERROR
        FCN_BINARY_LOG_LOSS
        FCN_LOG_LOSS
        FCN_POISSON
        FCN_ABSOLUTE_ERROR
        FCN_HUBER
        FCN_QUANTILE

    ctypedef struct fcn_input:
        const void *values
        const int64_t *indices
        const int64_t *indptr
        const int64_t *row_ids
        int64_t rows

    ctypedef int (*fcn_interrupt_check)() noexcept nogil

    cdef enum fcn_status:
        FCN_DONE
        FCN_INTERRUPTED

    cdef enum fcn_solver:
        FCN_SGD
        FCN_ADAM

    ctypedef struct fcn_net:
        int64_t n_layers
        const int64_t *units
        int hidden_activation
        int output_activation
        int loss
        double loss_parameter
        double dropout

    ctypedef struct fcn_optimizer:
        int solver
        double learning_rate
        double momentum
        int nesterov
        double beta_1
        double beta_2
        double epsilon
        int64_t adam_steps

    int fcn_max_threads()
    int64_t fcn_param_count(const fcn_net *net)
    int64_t fcn_pack_len(int64_t M, int64_t K, int64_t N)

    cdef enum fcn_gemm_kernels:
        FCN_GEMM_AUTO
        FCN_GEMM_BASELINE
        FCN_GEMM_AVX2
        FCN_GEMM_AVX512
    int fcn_gemm_force_kernels_f32(int which)
    int fcn_gemm_force_kernels_f64(int which)
    int64_t fcn_backprop_workspace_len(const fcn_net *net, int64_t rows)
    int64_t fcn_epoch_workspace_len(const fcn_net *net, int64_t batch_rows)
    int64_t fcn_predict_workspace_len(const fcn_net *net, int64_t chunk_rows)

    # float32 kernels
    void fcn_activation_forward_f32(float *A, int64_t rows, int64_t cols, int activation)
    void fcn_activation_backward_f32(float *delta, const float *A, int64_t rows, int64_t cols,
                                     int activation)
    void fcn_dense_forward_f32(float *A_out, const float *A_in, const float *W, const float *b,
                               int64_t rows, int64_t fan_in, int64_t fan_out, int activation,
                               float *pack)
    void fcn_dense_backward_f32(float *dW, float *db, float *delta_in, float *pack,
                                const float *delta, const float *A_in, const float *W,
                                int64_t rows, int64_t fan_in, int64_t fan_out, double alpha,
                                double n, int in_activation)
    double fcn_loss_f32(const float *A, const float *Y, const float *sample_weight, int64_t rows,
                          int64_t cols, int loss, double loss_parameter)
    void fcn_output_delta_f32(float *delta, const float *A, const float *Y,
                              const float *sample_weight, int64_t rows, int64_t cols, int loss,
                              double loss_parameter, double scale)
    void fcn_sgd_update_f32(float *params, float *velocity, const float *grads, int64_t n_params,
                            double learning_rate, double momentum, int nesterov)
    void fcn_adam_update_f32(float *params, float *m, float *v, const float *grads,
                             int64_t n_params, double step_rate, double beta_1, double beta_2,
                             double epsilon)
    void fcn_dropout_mask_f32(float *M, uint64_t key, int64_t layer, int64_t rows, int64_t cols,
                              double rate)
    double fcn_forward_backward_f32(float *grads, float *workspace, const float *params,
                                    const fcn_net *net, const fcn_input *X, const float *Y,
                                    const float *sample_weight, double alpha,
                                    double delta_scale, uint64_t dropout_key)
    int fcn_train_epoch_f32(double *summed_loss, float *params, float *grads, float *state,
                            fcn_optimizer *opt, float *workspace, const fcn_net *net,
                            const fcn_input *X, const float *Y, const float *sample_weight,
                            const int64_t *order, int64_t batch_size, double alpha,
                            uint64_t dropout_seed, uint64_t epoch, fcn_interrupt_check interrupted)
    int fcn_predict_f32(float *out, float *workspace, const float *params, const fcn_net *net,
                        const fcn_input *X, int64_t chunk_rows, fcn_interrupt_check interrupted)

    # float64 kernels
    void fcn_activation_forward_f64(double *A, int64_t rows, int64_t cols, int activation)
    void fcn_activation_backward_f64(double *delta, const double *A, int64_t rows, int64_t cols,
                                     int activation)
    void fcn_dense_forward_f64(double *A_out, const double *A_in, const double *W, const double *b,
                               int64_t rows, int64_t fan_in, int64_t fan_out, int activation,
                               double *pack)
    void fcn_dense_backward_f64(double *dW, double *db, double *delta_in, double *pack,
                                const double *delta, const double *A_in, const double *W,
                                int64_t rows, int64_t fan_in, int64_t fan_out, double alpha,
                                double n, int in_activation)
    double fcn_loss_f64(const double *A, const double *Y, const double *sample_weight, int64_t rows,
                          int64_t cols, int loss, double loss_parameter)
    void fcn_output_delta_f64(double *delta, const double *A, const double *Y,
                              const double *sample_weight, int64_t rows, int64_t cols, int loss,
                              double loss_parameter, double scale)
    void fcn_sgd_update_f64(double *params, double *velocity, const double *grads,
                            int64_t n_params, double learning_rate, double momentum, int nesterov)
    void fcn_adam_update_f64(double *params, double *m, double *v, const double *grads,
                             int64_t n_params, double step_rate, double beta_1, double beta_2,
                             double epsilon)
    void fcn_dropout_mask_f64(double *M, uint64_t key, int64_t layer, int64_t rows,
                              int64_t cols, double rate)
    double fcn_forward_backward_f64(double *grads, double *workspace, const double *params,
                                    const fcn_net *net, const fcn_input *X, const double *Y,
                                    const double *sample_weight, double alpha,
                                    double delta_scale, uint64_t dropout_key)
    int fcn_train_epoch_f64(double *summed_loss, double *params, double *grads, double *state,
                            fcn_optimizer *opt, double *workspace, const fcn_net *net,
                            const fcn_input *X, const double *Y, const double *sample_weight,
                            const int64_t *order, int64_t batch_size, double alpha,
                            uint64_t dropout_seed, uint64_t epoch, fcn_interrupt_check interrupted)
    int fcn_predict_f64(double *out, double *workspace, const double *params,
                        const fcn_net *net, const fcn_input *X, int64_t chunk_rows,
                        fcn_interrupt_check interrupted)
